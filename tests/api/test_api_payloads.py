"""Stream payloads: computed once per mart version and subscription, shared by every client."""

from __future__ import annotations

import asyncio
import json

from serving import raw_value

from api.broadcast import Event
from api.mart import MartStore
from api.subscriptions import Payloads, Subscribe


def _factors(symbols: list[str]) -> Subscribe:
    return Subscribe(type="subscribe", stream_type="factors", symbols=symbols,
                     factors=["ret_1d"], update_frequency_seconds=5)


def test_clients_with_the_same_subscription_share_one_body(warehouse):
    async def scenario():
        store = MartStore(warehouse)
        payloads = Payloads(store)
        version = store.current().version.version
        first, same, other = _factors(["AAA"]), _factors(["AAA"]), _factors(["BBB"])
        keys = [payloads.add(m) for m in (first, same, other)]
        assert keys[0] == keys[1] != keys[2]  # the update interval is not part of the key
        a, b, c = await asyncio.gather(*(payloads.get(m, k, version)
                                         for m, k in zip((first, same, other), keys,
                                                         strict=True)))
        assert a is b and a is not c  # one computation for both AAA clients
        body, text = a
        assert json.loads(text) == json.loads(json.dumps(body, default=str))
        assert [r["raw"] for r in body["values"]] == [raw_value(2, 0, 0)]
        assert [r["raw"] for r in c[0]["values"]] == [raw_value(2, 1, 0)]
        store.close()

    asyncio.run(scenario())


def test_a_publish_prefetches_and_mart_versions_is_the_event_itself(warehouse):
    async def scenario():
        store = MartStore(warehouse)
        payloads = Payloads(store)
        versions = Subscribe(type="subscribe", stream_type="mart_versions")
        key = payloads.add(versions)
        payloads.add(_factors(["CCC"]))
        event = Event(99, "mart_published", {"version": 99, "row_counts": {"x": 1}})
        payloads.prefetch(event)
        body, text = await payloads.get(versions, key, 99)
        assert body == {"version": 99, "data": event.data} and json.loads(text) == body
        assert len(payloads._entries) == 2  # both subscriptions started on the publish
        payloads.remove(key)
        payloads.prefetch(Event(100, "mart_published", {"version": 100}))
        assert [k for k, _ in payloads._entries] == [100]  # version 99 forgotten; one left
        await asyncio.gather(*payloads._entries.values())
        store.close()

    asyncio.run(scenario())
