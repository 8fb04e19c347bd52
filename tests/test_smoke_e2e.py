from tests import factories
from tests.graphql_client import execute


async def test_a_published_campaign_is_served_over_http(client, database):
    camp = await factories.campaign(database, title="Clean rivers")
    data = await execute(client, "{ campaigns { edges { node { title } } } }")
    assert data["campaigns"]["edges"] == [{"node": {"title": camp.title}}]
