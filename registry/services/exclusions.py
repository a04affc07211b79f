"""Who may not serve on a request: challenges, recusals, declines, and the one-procedure rule.

A challenge, recusal or earlier-stage exclusion bars the expert from the whole case; a decline
bars one request. An expert who served at another stage of the same dispute is barred too
(SPC 2019 technical-investigator provisions, Art. 5), with the remand exception. While a
party's challenge is pending the expert is suspended from the whole case (rule
`challenge_pending`, CPL Art. 48): carried exactly like a case-wide exclusion, from the
`challenge` table, and lifted by its rejection.

Every case-wide bar has one rule key (scheduler/rules.py), named by `case_bars`:
`self_recusal`, `challenge_upheld`, `challenge_pending`, `one_procedure`.
"""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    SERVED_STATUSES,
    Assignment,
    AssignmentStatus,
    Case,
    CaseStage,
    Challenge,
    DispatchRequest,
    Exclusion,
    ExclusionReason,
)
from registry.models.base import DomainError
from registry.models.recusals import SUSPENDING
from registry.services import memo

# A challenge, a recusal or an earlier-stage bar concerns the expert and the case; a decline
# concerns one request only (the expert may take another request of the same case).
CASE_WIDE_REASONS = frozenset({ExclusionReason.CHALLENGE, ExclusionReason.RECUSAL,
                               ExclusionReason.EARLIER_STAGE, ExclusionReason.PRIOR_ROLE})
# The rule (scheduler/rules.py) each case-wide exclusion stands for.
RULE_OF_REASON = {ExclusionReason.CHALLENGE: "challenge_upheld",
                  ExclusionReason.RECUSAL: "self_recusal",
                  ExclusionReason.EARLIER_STAGE: "one_procedure",
                  ExclusionReason.PRIOR_ROLE: "prior_role_in_case"}
# An old assignment row in these statuses bars the pair: (request, expert) is unique and the
# row is final (a withdrawn proposal, by contrast, may be proposed again).
FINAL_PAIR_STATUSES = frozenset({AssignmentStatus.DECLINED, AssignmentStatus.CANCELLED,
                                 AssignmentStatus.COMPLETED})
CHUNK = 2000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


def chunks(ids: list, size: int = CHUNK) -> Iterable[list]:
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def excluded_experts(requests: list[DispatchRequest]) -> dict[int, set[int]]:
    """Expert ids barred from each request (the exclusion rules of docs/dispatch.md)."""
    case_ids = {r.case_id for r in requests}
    case_wide: dict[int, set[int]] = defaultdict(set)
    per_request: dict[int, set[int]] = defaultdict(set)
    for case_id, found in recorded(case_ids).items():
        for request_id, expert_id, reason in found:
            if reason in CASE_WIDE_REASONS:
                case_wide[case_id].add(expert_id)
            else:
                per_request[request_id].add(expert_id)
    for case_id, experts in suspended_on(case_ids).items():
        case_wide[case_id] |= experts
    served = served_at_other_stages({r.case for r in requests})
    out: dict[int, set[int]] = {}
    for r in requests:
        final = {a.expert_id for a in r.assignments if a.status in FINAL_PAIR_STATUSES}
        out[r.id] = case_wide[r.case_id] | per_request[r.id] | served[r.case_id] | final
    return out


# Each case's exclusions, challenges and other stages' experts are read once per transaction
# (memo.py): an expert's change judges its seats on several cases, and each seat's rule and
# facts ask again what the problems read first.

def recorded(case_ids: Iterable[int]) -> dict[int, list[tuple[int, int, ExclusionReason]]]:
    """For each case, the exclusions recorded on its requests: (request id, expert id,
    reason)."""
    return memo.remember_many("recorded_exclusions", sorted(set(case_ids)), _recorded)


def _recorded(case_ids: list[int]) -> dict[int, list[tuple[int, int, ExclusionReason]]]:
    out: dict[int, list] = {case_id: [] for case_id in case_ids}
    for chunk in chunks(case_ids):
        rows = db.session.execute(
            select(DispatchRequest.case_id, Exclusion.request_id, Exclusion.expert_id,
                   Exclusion.reason).join(Exclusion.request)
            .where(DispatchRequest.case_id.in_(chunk)).order_by(Exclusion.id))
        for case_id, request_id, expert_id, reason in rows:
            out[case_id].append((request_id, expert_id, reason))
    return out


def suspended_on(case_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each case, the experts a pending challenge suspends from it (CPL Art. 48)."""
    return memo.remember_many("suspending_challenges", sorted(set(case_ids)), _suspended_on)


def _suspended_on(case_ids: list[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {case_id: set() for case_id in case_ids}
    for chunk in chunks(case_ids):
        rows = db.session.execute(select(Challenge.case_id, Challenge.expert_id).where(
            Challenge.case_id.in_(chunk), Challenge.status.in_(SUSPENDING)))
        for case_id, expert_id in rows:
            out[case_id].add(expert_id)
    return out


def case_bars(case_ids: Iterable[int]) -> dict[tuple[int, int], str]:
    """(case id, expert id) -> the rule key barring the expert from the whole case, for the
    recorded bars (recusal, upheld challenge, earlier stage recorded) and pending challenges.
    A recorded bar is named before a pending challenge: it outlives the decision."""
    case_ids = sorted(set(case_ids))
    out: dict[tuple[int, int], str] = {}
    for case_id, experts in suspended_on(case_ids).items():
        for expert_id in experts:
            out[(case_id, expert_id)] = "challenge_pending"
    for case_id, found in recorded(case_ids).items():
        for _request_id, expert_id, reason in found:
            if reason in CASE_WIDE_REASONS:
                out[(case_id, expert_id)] = RULE_OF_REASON[reason]
    return out


def case_bar(case: Case, expert_id: int) -> str | None:
    """The rule key barring this expert from the whole case, or None."""
    return case_bars([case.id]).get((case.id, expert_id))


def bar_from_case(case: Case, expert_id: int, reason: ExclusionReason, note: str,
                  prefer: DispatchRequest | None = None) -> Exclusion:
    """Record a case-wide exclusion (recusal, upheld challenge) of the expert.

    Exclusions hang on a request: the one preferred, else one the expert answered (a decline
    there becomes the case-wide bar), else the case's first. An expert already barred from
    the case keeps the bar it has (returned unchanged).
    """
    requests = sorted(case.requests, key=lambda r: r.id)
    mine = [e for r in requests for e in r.exclusions if e.expert_id == expert_id]
    if barred := next((e for e in mine if e.reason in CASE_WIDE_REASONS), None):
        return barred
    if declined := next((e for e in mine if prefer is None or e.request is prefer), None):
        declined.reason, declined.note = reason, note[:300]
        return declined
    carrier = prefer or next((r for r in requests if any(
        a.expert_id == expert_id for a in r.assignments)), requests[0] if requests else None)
    if carrier is None:
        raise DomainError("case {case_id} has no request to record the exclusion on",
                          field="case_id", case_id=case.id)
    exclusion = Exclusion(expert_id=expert_id, reason=reason, note=note[:300])
    carrier.exclusions.append(exclusion)
    return exclusion


def bars(stage: CaseStage, other: CaseStage) -> bool:
    """Whether serving at `other` bars serving at `stage` of the same dispute (SPC 2019, Art. 5).

    The one exception: after a remand, the second instance may again use the experts of the
    original second instance.
    """
    return not (stage is CaseStage.SECOND_INSTANCE and other is CaseStage.SECOND_INSTANCE)


def disputes_of(cases) -> tuple[dict[int, CaseStage], dict[int, set[int]]]:
    """The stage of each of these cases and of every case linked to them (earlier and later,
    by earlier_stage_id), and for each of these cases every case of its dispute (itself
    included). Read once per transaction (memo.py): the seats' other-stage bars and the
    problems' dispute fields both ask."""
    by_id = {case.id: case for case in cases}
    found = memo.remember_many("disputes", sorted(by_id), lambda ids: (
        _disputes_of([by_id[i] for i in ids])))
    stage_of = {}
    for stages in found.values():
        stage_of.update(stages)
    return stage_of, {case_id: set(stages) for case_id, stages in found.items()}


def _disputes_of(cases: list[Case]) -> dict[int, dict[int, CaseStage]]:
    """For each case, the stage of every case of its dispute. Two queries per level of the
    chains, for all the cases at once."""
    stage_of = {c.id: c.stage for c in cases}
    parent_of = {c.id: c.earlier_stage_id for c in cases}
    frontier = set(stage_of)
    while frontier:
        parents = {parent_of[i] for i in frontier if parent_of[i]} - stage_of.keys()
        rows = [*_case_links(Case.id, parents), *_case_links(Case.earlier_stage_id, frontier)]
        frontier = set()
        for case_id, stage, parent in rows:
            if case_id not in stage_of:
                stage_of[case_id], parent_of[case_id] = stage, parent
                frontier.add(case_id)
    disputes = _disputes(parent_of)
    return {c.id: {i: stage_of[i] for i in disputes[c.id]} for c in cases}


def served_at_other_stages(cases: set[Case]) -> dict[int, set[int]]:
    """For each case, the experts who served at another stage (earlier or later) of its dispute."""
    by_id = {case.id: case for case in cases}
    return memo.remember_many("served_at_other_stages", sorted(by_id), lambda ids: (
        _served_at_other_stages({by_id[i] for i in ids})))


def _served_at_other_stages(cases: set[Case]) -> dict[int, set[int]]:
    stage_of, stages = disputes_of(cases)
    served_by_case: dict[int, set[int]] = defaultdict(set)
    others = {s for c in cases for s in stages[c.id] if s != c.id}
    for chunk in chunks(sorted(others)):
        rows = db.session.execute(
            select(DispatchRequest.case_id, Assignment.expert_id).join(Assignment.request)
            .where(DispatchRequest.case_id.in_(chunk), Assignment.status.in_(SERVED_STATUSES)))
        for case_id, expert_id in rows:
            served_by_case[case_id].add(expert_id)
    out: dict[int, set[int]] = {c.id: set() for c in cases}
    for c in cases:
        for other in stages[c.id] - {c.id}:
            if bars(c.stage, stage_of[other]):
                out[c.id] |= served_by_case[other]
    return out


def _case_links(column, ids: set[int]) -> list:
    rows = []
    for chunk in chunks(sorted(ids)):
        rows += db.session.execute(select(Case.id, Case.stage, Case.earlier_stage_id)
                                   .where(column.in_(chunk))).all()
    return rows


def _disputes(parent_of: dict[int, int | None]) -> dict[int, set[int]]:
    """Group cases linked by earlier_stage_id: each case id -> every stage of its dispute."""
    root = {case_id: case_id for case_id in parent_of}

    def find(case_id):
        while root[case_id] != case_id:
            root[case_id] = root[root[case_id]]
            case_id = root[case_id]
        return case_id

    for case_id, parent in parent_of.items():
        if parent in root:
            root[find(case_id)] = find(parent)
    groups: dict[int, set[int]] = defaultdict(set)
    for case_id in parent_of:
        groups[find(case_id)].add(case_id)
    return {case_id: groups[find(case_id)] for case_id in parent_of}
