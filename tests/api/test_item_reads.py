"""An item read with loader options runs a statement built once (services/access.py): the
same statement for every read of that kind, none made per call."""

from registry.services import access


def test_item_reads_reuse_one_statement_per_model_and_options(client, world, as_):
    queued = client.post("/api/v1/solver-runs", headers=as_("coordinator_sh"),
                         json={"region": "SH", "from": "2025-03-03", "to": "2025-03-28"})
    assert queued.status_code == 202
    paths = [(f"/api/v1/assignments/{world.proposal.id}", "admin"),
             (f"/api/v1/requests/{world.sh_request.id}", "admin"),
             (f"/api/v1/cases/{world.sh_case.id}", "admin"),
             (f"/api/v1/experts/{world.sh_expert.id}", "admin"),
             (f"/api/v1/solver-runs/{queued.get_json()['id']}", "coordinator_sh")]

    def read_all() -> None:
        for path, who in paths:
            assert client.get(path, headers=as_(who)).status_code == 200, path

    read_all()
    made = access._by_key.cache_info()
    for _ in range(3):
        read_all()
    again = access._by_key.cache_info()
    assert again.currsize == made.currsize and again.misses == made.misses
    assert again.hits >= made.hits + 3 * len(paths)
