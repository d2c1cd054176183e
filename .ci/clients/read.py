"""A Python client generated from the committed OpenAPI document (openapi-python-client), with
no hand-written type: reads a partnership, the strategic plan with its goals and measures and
the plan's fulfilment. Its models parse enums and required fields strictly, so any difference
between the document and the wire raises. Run by .ci/contract.sh."""
import os
import sys

from inclusion_client import AuthenticatedClient
from inclusion_client.api.partnerships import get_partnership, list_partnerships
from inclusion_client.api.strategic_plans import (
    get_strategic_plan_fulfilment,
    list_partnership_strategic_plans,
    list_strategic_plan_goals,
    list_strategic_plan_measures,
)
from inclusion_client.api.territorial_units import list_territorial_units
from inclusion_client.models import Region


def fail(message: str) -> None:
    print(f"python client: {message}", file=sys.stderr)
    sys.exit(1)


client = AuthenticatedClient(base_url=os.environ.get("BASE", "http://127.0.0.1:8080"), token=os.environ["TOKEN"], raise_on_unexpected_status=True)
with client:
    page = list_partnerships.sync(client=client, q="rozvodi", limit=10)
    rozvodi = next((p for p in page.items if "Rozvodí" in p.name), None) or fail("Rozvodí not found")
    one = get_partnership.sync(client=client, id=rozvodi.id)
    plans = list_partnership_strategic_plans.sync(client=client, id=rozvodi.id)
    plan = plans.items[0] if plans.items else fail("no strategic plan")
    goals = list_strategic_plan_goals.sync(client=client, id=plan.id)
    measures = list_strategic_plan_measures.sync(client=client, id=plan.id, limit=100)
    fulfilment = get_strategic_plan_fulfilment.sync(client=client, id=plan.id)
    units = list_territorial_units.sync(client=client, region=Region.CZ053)
    if not measures.items or fulfilment is None or not units.items:
        fail("empty answers")
    print(
        f"python client: {one.name} ({one.status.value}), plan v{plan.version_number} {plan.status.value}, "
        f"{len(goals.items)} goals, {len(measures.items)} measures (first due {measures.items[0].deadline}), "
        f"{len(units.items)} units in {units.items[0].region.value}"
    )
