"""Four weeks of history for the tiny org (compute_fixtures), for `kpisync targets suggest`.

As of 2026-03-10 (a Tuesday) the last four complete Monday weeks start 2026-02-09, 02-16,
02-23 and 03-02. With the calls added here, and those compute_fixtures already has, the
weekly actuals of the active reps are (Dan is inactive and left out):

    calls           Ann 3 5 4 1   Bob 6 2 0 2   Cat 1 1 2 0
    conversations   Ann 0 5 0 1   Bob 2 0 0 0   (>= 120 s)
    opps_created    Cat 2 0 1 0   (CreatedDate in New York: 006D's 03-01 04:59 UTC is 02-28)
    revenue         Cat 1000 0 0 250.5

80th percentile, interpolated (quantile_cont: position 0.8 x (n - 1) in the sorted values):

    calls sdr       0 1 2 2 3 4 5 6 -> position 5.6: 4 + 0.6 x 1 = 4.6 a week
                    x 52/12 = 19.9333 -> 20
    calls ae        0 1 1 2 -> position 2.4: 1 + 0.4 x 1 = 1.4 -> 6.0667 -> 6
    conversations   0 0 0 0 0 1 2 5 -> position 5.6: 1 + 0.6 x 1 = 1.6 -> 6.9333 -> 7
    opps_created    0 0 1 2 -> 1.4 -> 6
    revenue         0 0 250.5 1000 -> 250.5 + 0.4 x 749.5 = 550.3 -> 2384.6333 -> 2380
"""

from __future__ import annotations

from datetime import date

from compute_fixtures import ANN, BOB, CAT

AS_OF = date(2026, 3, 10)
WEEKS = 4

# Owner, day, CallDurationInSeconds: the calls added to compute_fixtures' TASKS.
EXTRA_CALLS = [
    *[(ANN, date(2026, 2, 9), 60)] * 3,
    *[(ANN, date(2026, 2, 17), 300)] * 5,
    *[(ANN, date(2026, 2, 27), 30)] * 4,
    *[(BOB, date(2026, 2, 10), 300)] * 2,
    *[(BOB, date(2026, 2, 13), 45)] * 4,
    *[(BOB, date(2026, 2, 22), 10)] * 2,   # a Sunday: still the week of 02-16
    (CAT, date(2026, 2, 9), 20),
    (CAT, date(2026, 2, 16), 20),
    *[(CAT, date(2026, 2, 23), 20)] * 2,
]


def add_history(con) -> None:
    con.executemany(
        "INSERT INTO sf_task VALUES (?, ?, 'Call', ?, ?, false)",
        [(f"00TH{i:02d}", owner, seconds, day)
         for i, (owner, day, seconds) in enumerate(EXTRA_CALLS)],
    )
