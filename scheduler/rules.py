"""Every dispatch rule, defined once: its key, number, title, legal source and severity.

Eligibility, `verify`, the explanations, the unfilled-seat diagnosis and the registry's
messages name rules by `key`. `verify` stays an independent implementation of the hard rules:
only the names are shared, never the checks.

Severities:
- `bar`: the pair may not be made (no waiver);
- `waivable`: a bar unless the parties' express written waiver is recorded;
- `disclose`: allowed, but the situation is shown and confirmation needs a recorded
  no-objection or waiver;
- `duty`: not a condition on the pair but a step the workflow owes the parties (a notice, a
  decision within a deadline), tracked by the registry.

Numbered rules (1-13) are the scheduler's hard rules on a problem document
(docs/dispatch-format.md). Unnumbered rules are legal situations the registry recognises from
its records; `carried_by` names the numbered rule through which the problem document carries
them to the scheduler (e.g. a near relative who is a party becomes a conflict, rule 6; an
upheld challenge becomes an exclusion, also rule 6), or None when the registry alone enforces
them (at filing or at confirmation). `one_procedure` is carried both ways: the experts who
served at another stage are exclusions (rule 6), and the scheduler keeps one expert off two
stages of a dispute planned in the same problem (request fields `dispute`, `procedure`),
reporting a breach as rule 6 with the key one_procedure.
"""

from __future__ import annotations

from dataclasses import dataclass

BAR, WAIVABLE, DISCLOSE, DUTY = "bar", "waivable", "disclose", "duty"
SEVERITIES = (BAR, WAIVABLE, DISCLOSE, DUTY)
INVESTIGATOR, ARBITRATOR = "investigator", "arbitrator"
EVERY_ROLE = ("investigator", "arbitrator", "consultant")

# Domain defaults named once (docs/dispatch-format.md, docs/rules.md).
COOLING_OFF_DAYS = 1095  # a former employer of three years ago still bars (house rule)
LOOKBACK_YEARS = 3       # IBA orange list and CPL Art. 47(3): relationships within 3 years
NOTICE_DAYS = 3          # SPC 2019 Art. 3: parties told of the investigator within 3 days
CHALLENGE_DECISION_DAYS = 3  # CPL Art. 50: a challenge is decided within 3 days


@dataclass(frozen=True)
class Rule:
    key: str
    number: int | None  # the scheduler's hard-rule number, None for registry-side rules
    title_zh: str
    title_en: str
    source: str
    severity: str
    roles: tuple[str, ...] = EVERY_ROLE
    carried_by: str | None = None  # the numbered rule that carries it in a problem document
    csv_ids: tuple[str, ...] = ()  # ids in seeds/conflict_rules.csv
    # A carried rule the scheduler also enforces itself between the requests of one problem
    # (one_procedure: requests naming the same dispute), reported under its carrier's number.
    across_requests: str | None = None  # the request fields that carry it


RULE_LIST: tuple[Rule, ...] = (
    # -- the scheduler's hard rules, checked on every problem document --------------------
    Rule("reference", 0, "引用有效", "known request and expert", "dispatch format", BAR),
    Rule("role", 1, "角色相符", "role", "SPC 2019 Art. 2; Arbitration Law Art. 13", BAR),
    Rule("appointment", 2, "聘任期内", "appointment term",
         "SPC 2019 Art. 14 (appointed investigators); institution rosters", BAR),
    Rule("expertise", 3, "专业领域相符", "expertise (IPC prefix)", "SPC 2019 Art. 1", BAR),
    Rule("jurisdiction", 4, "跨地域派遣须有依据", "jurisdiction and recognition",
         "SPC 2019 Art. 14; YRD memorandum 2024; Qianhai measures (arbitrator panels)", BAR,
         csv_ids=("CN-TI-10",)),
    Rule("travel", 5, "出行距离", "travel distance", "expert's declared limit", BAR),
    Rule("conflict_of_interest", 6, "利益冲突", "conflict of interest",
         "CPL Art. 47; Arbitration Law Art. 34; IBA Guidelines (non-waivable red list)", BAR),
    Rule("availability", 7, "可出勤", "availability", "expert's declared absences", BAR),
    Rule("double_booking", 8, "不得重复排期", "no double booking", "house rule", BAR),
    Rule("workload", 9, "工作量上限", "workload cap", "house rule", BAR),
    Rule("seats", 10, "席位数", "seats", "Arbitration Law Arts. 30-31 (1 or 3)", BAR,
         csv_ids=("CN-ARB-06",)),
    Rule("language", 11, "语言", "language", "house rule", BAR),
    Rule("panel_independence", 12, "合议庭成员独立", "panel independence",
         "IBA Orange 3.3 (house rule: a bar)", BAR),
    Rule("pinned", 13, "已确认席位保留", "confirmed seats kept", "house rule", BAR),
    # -- who the expert is to the parties (carried as conflicts, rule 6) -------------------
    Rule("party_or_representative", None, "本人是当事人或其法定代表人、雇员",
         "the expert is a party, its legal representative or employee",
         "CPL Art. 47(1); CPL Interp. Art. 43(1); Arbitration Law Art. 34(1); IBA NWR 1.1",
         BAR, carried_by="conflict_of_interest",
         csv_ids=("CN-TI-01", "CN-ARB-01", "IBA-NWR-1.1")),
    Rule("near_relative", None, "当事人或诉讼代理人的近亲属",
         "near relative of a party, counsel or agent",
         "CPL Art. 47(1); CPL Interp. Art. 43(1)(4); Arbitration Law Art. 34(1)", BAR,
         carried_by="conflict_of_interest", csv_ids=("CN-TI-02", "CN-ARB-01")),
    Rule("personal_relationship", None, "与当事人或诉讼代理人有其他关系",
         "another personal relationship with a party or agent (classmate, teacher or "
         "student, close friend, enmity, business partner)",
         "CPL Art. 47(3); CPL Interp. Art. 43(6)", DISCLOSE,
         csv_ids=("CN-TI-06", "CN-ARB-03")),
    Rule("interest_in_case", None, "与本案有利害关系",
         "an interest in the case (officer, shareholder, licensee, inventor)",
         "CPL Art. 47(2); CPL Interp. Art. 43(2)(5); Arbitration Law Art. 34(2); "
         "IBA NWR 1.2-1.3", BAR, carried_by="conflict_of_interest",
         csv_ids=("CN-TI-03", "CN-ARB-02", "IBA-NWR-1.2", "IBA-NWR-1.3")),
    Rule("declared_conflict", None, "本人申报的利益冲突", "a conflict the expert declared",
         "CPL Art. 47(3); Arbitration Law Art. 34(3)", BAR,
         carried_by="conflict_of_interest"),
    Rule("former_affiliation", None, "冷却期内曾任职于当事人",
         "worked for a party or its counsel within the cooling-off period",
         "CPL Art. 47(3) (house rule: a bar for 3 years, stricter than disclosure)", BAR,
         carried_by="conflict_of_interest", csv_ids=("CN-TI-06", "CN-ARB-03")),
    Rule("improper_conduct", None, "私自会见当事人或接受请客送礼",
         "met a party privately or accepted gifts (a serious credit record)",
         "CPL Art. 47 (2nd para.); CPL Interp. Art. 44; Arbitration Law Arts. 34(4), 38", BAR,
         carried_by="appointment", csv_ids=("CN-TI-07", "CN-ARB-04")),
    # -- the case's history (carried as exclusions, rule 6) ---------------------------------
    Rule("one_procedure", None, "一个审判程序规则", "one procedure per dispute",
         "SPC 2019 Art. 5; CPL Interp. Art. 45 (remand exception)", BAR,
         roles=(INVESTIGATOR,), carried_by="conflict_of_interest", csv_ids=("CN-TI-05",),
         across_requests="dispute, procedure"),
    Rule("prior_role_in_case", None, "曾在本案担任证人、鉴定人、代理人或翻译",
         "earlier role in this case (witness, appraiser, agent, translator)",
         "CPL Interp. Art. 43(3); IBA WR 2.1.2", BAR, carried_by="conflict_of_interest",
         csv_ids=("CN-TI-04", "IBA-WR-2.1.2")),
    Rule("self_recusal", None, "自行回避", "the expert recused from the case",
         "CPL Art. 47; SPC 2019 Art. 4", BAR, carried_by="conflict_of_interest"),
    Rule("challenge_pending", None, "回避申请待决，暂停参与",
         "a party's challenge is pending: suspended from the case",
         "CPL Art. 48 (2nd para.)", BAR, carried_by="conflict_of_interest",
         csv_ids=("CN-TI-09",)),
    Rule("challenge_upheld", None, "回避申请成立", "a party's challenge was upheld",
         "CPL Arts. 48-50; Arbitration Law Art. 36", BAR, carried_by="conflict_of_interest"),
    Rule("declined", None, "本人已拒绝该请求", "the expert declined this request",
         "house rule", BAR, carried_by="conflict_of_interest"),
    # -- checked by the registry alone --------------------------------------------------------
    Rule("case_type", None, "技术调查官参与的案件类型",
         "case types open to technical investigators",
         "SPC 2019 Art. 1; CNIPA 国知办发保字〔2021〕17号 Art. 2", BAR, roles=(INVESTIGATOR,),
         csv_ids=("CN-TI-11",)),
    Rule("same_firm_as_counsel", None, "与代理律师同属一家律所",
         "same law firm as a party's counsel", "IBA WR 2.3.3", WAIVABLE, roles=(ARBITRATOR,),
         csv_ids=("IBA-WR-2.3.3",)),
    Rule("repeat_party_appointments", None, "三年内两次以上由同一当事人选定",
         "appointed twice or more by the same party within 3 years", "IBA Orange 3.1.3",
         DISCLOSE, roles=(ARBITRATOR,), csv_ids=("IBA-OR-3.1.3",)),
    Rule("repeat_counsel_appointments", None, "三年内三次以上与同一代理人或律所",
         "more than three times with the same counsel or law firm within 3 years",
         "IBA Orange 3.3.8 (2014 numbering)", DISCLOSE, roles=(ARBITRATOR,),
         csv_ids=("IBA-OR-3.3.x-counsel",)),
    Rule("former_association_affiliate", None, "三年内曾任职于当事人的关联方",
         "worked for an affiliate of a party within 3 years", "IBA Orange 3.4.2", DISCLOSE,
         roles=(ARBITRATOR,), csv_ids=("IBA-OR-3.4.2",)),
    Rule("notice_to_parties", None, "三日内告知当事人技术调查官身份及申请回避权利",
         "tell the parties within 3 days who the investigator is and of their right to "
         "challenge", "SPC 2019 Art. 3", DUTY, roles=(INVESTIGATOR,), csv_ids=("CN-TI-08",)),
    Rule("challenge_decision", None, "回避申请三日内决定，可复议一次",
         "a challenge is decided within 3 days; one review", "CPL Arts. 49-50", DUTY,
         csv_ids=("CN-TI-09",)),
)

RULES: dict[str, Rule] = {rule.key: rule for rule in RULE_LIST}
BY_NUMBER: dict[int, Rule] = {rule.number: rule for rule in RULE_LIST if rule.number is not None}


def rule(key: str) -> Rule:
    """The rule named `key` (KeyError for a name no one defined: a typo is a bug)."""
    return RULES[key]


def number_of(key: str) -> int:
    return RULES[key].number
