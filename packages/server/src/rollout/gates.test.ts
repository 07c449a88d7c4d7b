import { describe, expect, it } from "vitest";
import {
  buildGates,
  createGateKeeper,
  describeGates,
  gateRefusal,
  OPEN_GATES,
  parseGatesJson,
  parseNameList,
  sameGates,
} from "./gates.js";

const user = (plan: string, org?: string) => ({ plan, org });

describe("gateRefusal", () => {
  it("allows everyone when no dimension is listed", () => {
    expect(gateRefusal(OPEN_GATES, user("free"))).toBeUndefined();
    expect(gateRefusal(buildGates({ mode: "all" }), user("free", "o"))).toBeUndefined();
  });

  it("allows listed plans and refuses the others with PLAN_NOT_ENABLED", () => {
    const gates = buildGates({ plans: ["pro", "enterprise"] });
    expect(gateRefusal(gates, user("pro"))).toBeUndefined();
    expect(gateRefusal(gates, user("enterprise", "org_x"))).toBeUndefined();
    expect(gateRefusal(gates, user("free", "org_x"))).toBe("PLAN_NOT_ENABLED");
  });

  it("allows listed orgs and refuses tokens of other orgs or without an org", () => {
    const gates = buildGates({ orgs: ["org_internal"] });
    expect(gateRefusal(gates, user("free", "org_internal"))).toBeUndefined();
    expect(gateRefusal(gates, user("enterprise", "org_other"))).toBe("PLAN_NOT_ENABLED");
    expect(gateRefusal(gates, user("enterprise"))).toBe("PLAN_NOT_ENABLED");
  });

  it("in mode any, allows a listed plan or a listed org", () => {
    const gates = buildGates({ plans: ["enterprise"], orgs: ["org_internal"], mode: "any" });
    expect(gateRefusal(gates, user("enterprise", "org_a"))).toBeUndefined();
    expect(gateRefusal(gates, user("free", "org_internal"))).toBeUndefined();
    expect(gateRefusal(gates, user("free", "org_a"))).toBe("PLAN_NOT_ENABLED");
  });

  it("in mode all, needs both the plan and the org listed", () => {
    const gates = buildGates({ plans: ["enterprise"], orgs: ["org_partner"], mode: "all" });
    expect(gateRefusal(gates, user("enterprise", "org_partner"))).toBeUndefined();
    expect(gateRefusal(gates, user("pro", "org_partner"))).toBe("PLAN_NOT_ENABLED");
    expect(gateRefusal(gates, user("enterprise", "org_a"))).toBe("PLAN_NOT_ENABLED");
    expect(gateRefusal(gates, user("enterprise"))).toBe("PLAN_NOT_ENABLED");
  });

  it("treats an empty list as matching nobody (the kill switch)", () => {
    const gates = buildGates({ plans: [] });
    expect(gateRefusal(gates, user("enterprise", "org_internal"))).toBe("PLAN_NOT_ENABLED");
  });
});

describe("buildGates", () => {
  it("unions the flags' and the file's lists per dimension, the file's mode winning", () => {
    const gates = buildGates(
      { orgs: ["org_internal"] },
      { orgs: ["org_partner"], plans: ["pro"], mode: "all" },
    );
    expect([...gates.orgs!].sort()).toEqual(["org_internal", "org_partner"]);
    expect([...gates.plans!]).toEqual(["pro"]);
    expect(gates.mode).toBe("all");
    expect(buildGates({ plans: ["pro"] }, {}).orgs).toBeUndefined();
  });
});

describe("parseGatesJson", () => {
  it("reads plans, orgs, mode and an optional comment", () => {
    expect(
      parseGatesJson('{"plans":["pro"],"orgs":["org_internal"],"mode":"all","comment":"step 3"}'),
    ).toEqual({ plans: ["pro"], orgs: ["org_internal"], mode: "all" });
    expect(parseGatesJson("{}")).toEqual({});
  });

  it.each([
    ["not json", /not valid JSON/],
    ["[]", /JSON object/],
    ['{"org":["x"]}', /unknown key "org"/],
    ['{"plans":"pro"}', /"plans" must be an array/],
    ['{"orgs":[""]}', /non-empty strings/],
    ['{"plans":[1]}', /non-empty strings/],
    ['{"mode":"some"}', /"mode" must be "any" or "all"/],
    ['{"comment":3}', /"comment" must be a string/],
  ])("refuses %s with a one-line message", (text, pattern) => {
    expect(() => parseGatesJson(text)).toThrow(pattern);
    try {
      parseGatesJson(text);
    } catch (err) {
      expect((err as Error).message).not.toContain("\n");
    }
  });
});

describe("parseNameList", () => {
  it("splits and trims comma-separated names", () => {
    expect(parseNameList("pro, enterprise", "--allow-plans")).toEqual(["pro", "enterprise"]);
  });

  it("refuses empty items", () => {
    expect(() => parseNameList("pro,,enterprise", "--allow-plans")).toThrow(/--allow-plans/);
  });
});

describe("sameGates and describeGates", () => {
  it("compare lists as sets and tell open from empty", () => {
    expect(sameGates(buildGates({ plans: ["a", "b"] }), buildGates({ plans: ["b", "a"] }))).toBe(true);
    expect(sameGates(buildGates({ plans: [] }), OPEN_GATES)).toBe(false);
    expect(sameGates(buildGates({ plans: ["a"], mode: "all" }), buildGates({ plans: ["a"] }))).toBe(false);
  });

  it("describe plans by name and orgs by count only", () => {
    expect(describeGates(buildGates({ plans: ["pro"], orgs: ["secret_org"] }))).toEqual({
      plans: ["pro"],
      orgs: 1,
      mode: "any",
    });
  });
});

describe("createGateKeeper", () => {
  it("applies new gates to the next decision", () => {
    const keeper = createGateKeeper();
    expect(keeper.authorize(user("free"))).toBeUndefined();
    keeper.set(buildGates({ plans: ["pro"] }));
    expect(keeper.authorize(user("free"))).toBe("PLAN_NOT_ENABLED");
    expect(keeper.authorize(user("pro"))).toBeUndefined();
  });
});
