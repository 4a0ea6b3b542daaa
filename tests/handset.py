"""A small, hand-checked export: every expected figure in test_metrics.py was worked out by hand
from these ten rows (see the comments there)."""

HAND_CSV = """\
SR Number,Created,Status,Priority,Team,Resolved By,Response Time (hrs),Resolution Time (hrs),Response SLA,Resolution SLA
T1,2026-03-02 09:00,Resolved,P1,L1 Desk,Ann,0.25,3,Met,Met
T2,2026-03-03 10:00,Closed,P2,L1 Desk,Ann,2,10,Breached,Breached
T3,2026-03-04 11:00,Open,P3,L2 Apps,Bob,1,,Met,
T4,2026-03-09 08:00,Resolved,P3,L2 Apps,Bob,5,20,Breached,Met
T5,2026-03-10 08:00,Resolved,P4,Business Ops,Cat,3,80,Met,Breached
T6,2026-03-11 00:00,In Progress,P4,,,,,,
T7,2026-03-12 23:30,Resolved,P3,Weird Group,Ann,2,30,Met,Breached
T8,2026-03-16 08:00,Resolved,P2,L1 Desk,Ann,0.5,6,Met,Met
T9,2026-03-17 08:00,Resolved,P2,L1 Desk,Ann,0.75,7,Met,Met
T10,2026-03-18 00:00,Pending,P1,L1 Desk,,0.2,,Met,
"""

# An export whose key column has a name no export uses, under a title row.
KEYLESS_CSV = """\
Monthly desk report
Case Ref,Opened,State,Urgency,Queue
C-1,2026-03-02 09:00,Resolved,P1,L1 Desk
C-2,2026-03-03 10:00,Open,P2,L2 Apps
C-3,2026-03-04 11:00,Closed,P3,L1 Desk
"""


def hand_bytes(csv_text: str = HAND_CSV) -> bytes:
    return csv_text.encode()
