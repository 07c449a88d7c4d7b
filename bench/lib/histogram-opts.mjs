/** HDR histogram range shared by the generator and the summary: 1 µs to 2 min, 3 significant digits. */
export const HISTOGRAM_OPTS = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 120_000_000,
  numberOfSignificantValueDigits: 3,
};
