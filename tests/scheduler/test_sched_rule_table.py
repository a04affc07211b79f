"""One rule table (scheduler/rules.py): every name derives from it, and docs/rules.md is it."""

from pathlib import Path

from scheduler import rules, rules_doc
from scheduler.__main__ import main
from scheduler.eligibility import RULE_KEYS
from scheduler.explain import DIAGNOSIS_KEYS
from scheduler.problem import DEFAULT_COOLING_OFF_DAYS
from scheduler.verify import RULE_NAMES

ROOT = Path(__file__).resolve().parents[2]


def test_each_rule_key_is_defined_once():
    keys = [rule.key for rule in rules.RULE_LIST]
    assert len(keys) == len(set(keys))


def test_the_scheduler_rules_are_numbered_0_to_13_without_gaps():
    assert sorted(rules.BY_NUMBER) == list(range(14))


def test_verify_eligibility_and_diagnosis_name_rules_by_the_tables_keys():
    assert RULE_NAMES == {n: rules.BY_NUMBER[n].key for n in range(14)}
    assert set(RULE_KEYS) | set(DIAGNOSIS_KEYS) <= set(rules.RULES)
    assert [rules.number_of(k) for k in RULE_KEYS] == sorted(rules.number_of(k)
                                                              for k in RULE_KEYS)


def test_every_rule_has_a_known_severity_roles_and_a_numbered_carrier():
    for rule in rules.RULE_LIST:
        assert rule.severity in rules.SEVERITIES, rule.key
        assert rule.roles and set(rule.roles) <= set(rules.EVERY_ROLE), rule.key
        assert rule.title_zh and rule.title_en and rule.source, rule.key
        if rule.carried_by is not None:
            assert rules.RULES[rule.carried_by].number is not None, rule.key


def test_the_cooling_off_default_is_the_tables():
    assert DEFAULT_COOLING_OFF_DAYS == rules.COOLING_OFF_DAYS


def test_docs_rules_md_holds_exactly_what_the_rules_command_prints(capsys):
    assert main(["rules"]) == 0
    printed = capsys.readouterr().out
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert printed == rules_doc.markdown()
    assert printed in page, "docs/rules.md is stale: run python -m scheduler rules --write " \
                            "docs/rules.md"
    assert page.count(rules_doc.BEGIN) == page.count(rules_doc.END) == 1


def test_every_csv_id_the_table_names_is_a_row_of_conflict_rules_csv():
    ids = {row["rule_id"] for row in rules_doc.conflict_rows()}
    named = {csv_id for rule in rules.RULE_LIST for csv_id in rule.csv_ids}
    assert named - ids == set()


def test_every_row_of_conflict_rules_csv_is_carried_by_a_rule_or_explained():
    ids = [row["rule_id"] for row in rules_doc.conflict_rows()]
    covered = rules_doc.covering_keys()
    assert len(ids) == len(set(ids)) == 47
    assert [i for i in ids if i not in covered and i not in rules_doc.NOT_CARRIED] == []
    assert set(rules_doc.NOT_CARRIED) <= set(ids)


def test_the_write_option_renews_only_the_generated_part(tmp_path):
    page = tmp_path / "rules.md"
    page.write_text(f"intro\n\n{rules_doc.BEGIN}\nold table\n{rules_doc.END}\nafter\n",
                    encoding="utf-8")
    assert main(["rules", "--write", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text == "intro\n\n" + rules_doc.markdown() + "after\n"
    assert rules_doc.write_into(page) is False
