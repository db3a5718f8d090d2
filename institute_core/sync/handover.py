"""One device id per person on a shared desk (a front-desk PC where several people sign in).

The server keeps a device's sequence numbers for the user who registered it and refuses the
id to anybody else: a device that changed hands would have its owner's next changes answered
"duplicate" and dropped, and every change would be credited to whoever holds the token. So
when another person signs in online on this replica, it switches to a device id of that
person's own (the one they used here before, else a new one); the ids used here are kept per
user in `sync_state`. The outbox must be empty to switch – its changes carry the old id and
its numbering – so the account module first sends them with the previous person's sign-in.
"""

from __future__ import annotations

import uuid

from institute_core.replica import Replica
from institute_core.sync.outbox import SEQ_OFFSET_KEY

DEVICE_IDS_KEY = "device_ids"  # {user id: device id this user syncs as on this replica}


def switch_device(replica: Replica, previous_user: str, user: str) -> bool:
    """Make the replica's device id `user`'s own; False when it already is.

    Call only with an empty outbox. The numbering of the new id continues from what the
    server holds for it: `continue_numbering` once the device is registered.
    """
    if previous_user == user:
        return False
    pending = replica.pending_changes()
    if pending:
        raise RuntimeError(f"{pending} change(s) still wait under the previous device id")
    ids = dict(replica.get_state(DEVICE_IDS_KEY) or {})
    ids[previous_user] = str(replica.device_id)
    device_id = uuid.UUID(ids.get(user) or str(uuid.uuid4()))
    ids[user] = str(device_id)
    with replica.apply_remote() as connection:
        replica.set_state("device_id", str(device_id), connection)
        replica.set_state(DEVICE_IDS_KEY, ids, connection)
    replica.device_id = device_id
    replica.clock.device = str(device_id)
    return True


def continue_numbering(replica: Replica, server_last_seq: int) -> None:
    """After a switch: the next change is the one after the last the server has from this id.

    The outbox is empty, so its next entry is rowid 1; the offset makes its wire seq follow.
    """
    replica.set_state(SEQ_OFFSET_KEY, int(server_last_seq))
