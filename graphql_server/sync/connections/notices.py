"""What the sync side tells others about connections (see ``store.notices``), and the
status changes it applies.
"""

from __future__ import annotations

from graphql_server.lifecycle import ConnectionStatus
from graphql_server.store.connections import ConnectionRecord
from graphql_server.store.notices import ConnectionNotices


class Notices(ConnectionNotices):
    async def moved(
        self, before: ConnectionStatus, record: ConnectionRecord, why: str, severity: str = "info"
    ) -> None:
        """Log and announce a status change the sync side applied."""
        await self.log_connection(
            record,
            "status_change",
            f"{record.kind} connection {record.name!r} moved from {before.name} to "
            f"{record.status.name}: {why}",
            severity=severity,
            details={"from": before.value, "to": record.status.value},
        )
        await self.announce("STATUS_CHANGED", record, before)
