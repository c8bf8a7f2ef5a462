"""The demo org's sales team: roles, users, and each rep's habits.

The names are fixed (the seed changes Ids and habits, not who is on the team) and include the
cases a scorecard gets wrong: quotes, accents, an emoji, HTML characters, a very long name and
two reps called Chris Taylor. Three reps left about five months before ``as_of`` and were
replaced, so inactive owners and mid-year starters both appear.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from kpisync.emulator.demo_ids import IdMint
from kpisync.emulator.demo_time import DAY, HOUR, Timeline

DOMAIN = "northwind.example"

#: (role name, parent role name); parents first, as Salesforce needs them created
ROLES = (
    ("VP Sales", None),
    ("SDR Manager", "VP Sales"),
    ("AE Manager", "VP Sales"),
    ("SDR East", "SDR Manager"),
    ("SDR West", "SDR Manager"),
    ("AE SMB", "AE Manager"),
    ("AE Enterprise", "AE Manager"),
)

SDR_TEAMS = ("SDR East", "SDR West")
AE_TEAMS = ("AE SMB", "AE Enterprise")

# (first name, last name, role, kind): kind is "rep", "left" (inactive, left the company) or
# "new" (hired to replace the one who left).
PEOPLE = (
    ("Elena", "Vasquez", "VP Sales", "manager"),
    ("Jamal", "Carter", "SDR Manager", "manager"),
    ("Ingrid", "Halvorsen", "AE Manager", "manager"),
    ("Conor", "O'Brien", "SDR East", "rep"),
    ("Zoë", "Łukasik", "SDR East", "rep"),
    ("Priya", "Raman", "SDR East", "rep"),
    ("Chris", "Taylor", "SDR East", "rep"),
    ("Dana", "Whitfield", "SDR East", "rep"),
    ("Marcus", "Oyelaran", "SDR East", "rep"),
    ("Hannah", "Berg", "SDR East", "rep"),
    ("Tomás", "Ferreira", "SDR East", "new"),
    ("Kevin", "Marsh", "SDR East", "left"),
    ("Mia 🚀", "Park", "SDR West", "rep"),
    ("José", "Núñez", "SDR West", "rep"),
    ("Chris", "Taylor", "SDR West", "rep"),
    ("Aiko", "Tanaka-Søgaard", "SDR West", "rep"),
    ("Lena", "Fischer", "SDR West", "rep"),
    ("Jordan", "Blake", "SDR West", "rep"),
    ("Thị Minh", "Nguyễn", "SDR West", "rep"),
    ("Rafael", "Ortega", "SDR West", "rep"),
    ('Sam <Sales> & "Co"', "Lee", "AE SMB", "rep"),
    ("Olivia", "Grant", "AE SMB", "rep"),
    ("Ethan", "Brooks", "AE SMB", "rep"),
    ("Sofia", "Marino", "AE SMB", "rep"),
    ("Grace", "Huang", "AE SMB", "rep"),
    ("Noah", "Patel", "AE SMB", "rep"),
    ("Liam", "O'Connell", "AE SMB", "rep"),
    ("Isabela", "Gonçalves", "AE SMB", "new"),
    ("Brian", "Foley", "AE SMB", "left"),
    ("Maximiliana-Alexandrina", "Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh",
     "AE Enterprise", "rep"),
    ("Siobhán", "Ní Bhriain", "AE Enterprise", "rep"),
    ("Victoria", "Ashworth", "AE Enterprise", "rep"),
    ("Daniel", "Okafor", "AE Enterprise", "rep"),
    ("Henrik", "Sæther", "AE Enterprise", "rep"),
    ("Rebecca", "Stein", "AE Enterprise", "new"),
    ("Martin", "Kovač", "AE Enterprise", "left"),
)

_DEPARTMENT = {
    "VP Sales": "Sales", "SDR Manager": "Sales Development", "AE Manager": "Account Executives",
    "SDR East": "Sales Development", "SDR West": "Sales Development",
    "AE SMB": "Account Executives", "AE Enterprise": "Account Executives",
}
_DIVISION = {"SDR East": "East", "SDR West": "West", "AE SMB": "SMB", "AE Enterprise": "Enterprise"}
_TITLE = {
    "VP Sales": "VP of Sales", "SDR Manager": "Sales Development Manager",
    "AE Manager": "Account Executive Manager",
    "SDR East": "Sales Development Representative", "SDR West": "Sales Development Representative",
    "AE SMB": "Account Executive", "AE Enterprise": "Senior Account Executive",
}
_ZONE = {"SDR West": "America/Los_Angeles"}
_MANAGER_ROLE = {"SDR East": "SDR Manager", "SDR West": "SDR Manager",
                 "AE SMB": "AE Manager", "AE Enterprise": "AE Manager",
                 "SDR Manager": "VP Sales", "AE Manager": "VP Sales"}
# Letters NFKD does not split into a base letter and an accent.
_FOLD = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Æ": "AE", "æ": "ae",
                       "ß": "ss", "Đ": "D", "đ": "d"})
_USERNAME_MAX = 80


@dataclass
class Rep:
    """One user who logs activity, with the habits that make reps differ from each other."""

    id: str
    role: str
    #: first and last day (ordinals) the rep worked within the window
    first_day: int
    last_day: int
    #: 0.6-1.3: how much activity the rep logs compared with the team norm (see
    #: _spread_productivity)
    productivity: float
    #: share of calls that reach a conversation (>= 120 s)
    connect_rate: float
    #: SDRs: share of conversations that book a meeting
    booking_rate: float
    #: AEs: share of closed opportunities won
    win_rate: float

    @property
    def is_sdr(self) -> bool:
        return self.role in SDR_TEAMS

    def works(self, ordinal: int) -> bool:
        return self.first_day <= ordinal <= self.last_day


@dataclass(frozen=True)
class Team:
    """Everything the activity and pipeline generators need to know about people."""

    roles: list[dict]
    users: list[dict]
    reps: list[Rep]


def fold(text: str) -> str:
    """ASCII lower case letters, digits and hyphens only: ``Zoë Łukasik`` -> ``zoelukasik``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9-]", "", ascii_text)


def usernames(people: tuple[tuple[str, str, str, str], ...]) -> list[str]:
    """first.last@northwind.example, ASCII-folded, numbered when two people share a name."""
    seen: dict[str, int] = {}
    names = []
    for first, last, _role, _kind in people:
        local = f"{fold(first.split()[0])}.{fold(last)}"
        # Salesforce caps Username at 80 characters; leave room for "@domain" and a number.
        local = local[: _USERNAME_MAX - len(DOMAIN) - 3].rstrip("-.")
        seen[local] = seen.get(local, 0) + 1
        suffix = str(seen[local]) if seen[local] > 1 else ""
        names.append(f"{local}{suffix}@{DOMAIN}")
    return names


def build_team(rng: random.Random, mint: IdMint, timeline: Timeline) -> Team:
    """Roles, users and rep habits; reps leave and join around five months before as_of."""
    setup = (timeline.start - timedelta(days=900)).toordinal() * DAY + 16 * HOUR
    role_ids: dict[str, str] = {}
    roles = []
    for name, parent in ROLES:
        role_ids[name] = mint.next("UserRole")
        stamp = timeline.stamp(setup + rng.randrange(0, 3 * DAY))
        roles.append({
            "Id": role_ids[name], "Name": name, "DeveloperName": name.replace(" ", "_"),
            "ParentRoleId": role_ids[parent] if parent else None,
            "LastModifiedDate": stamp, "SystemModstamp": stamp,
        })
    departure = timeline.as_of - timedelta(days=150)
    profile = mint.next("Profile")
    user_ids = [mint.next("User") for _ in PEOPLE]
    manager_of = {role: user_ids[i] for i, (_f, _l, role, kind) in enumerate(PEOPLE)
                  if kind == "manager"}
    users, reps = [], []
    for user_id, username, (first, last, role, kind) in zip(
        user_ids, usernames(PEOPLE), PEOPLE, strict=True
    ):
        left = departure + timedelta(days=rng.randrange(-10, 11)) if kind == "left" else None
        hired = (departure + timedelta(days=rng.randrange(7, 25)) if kind == "new"
                 else timeline.start - timedelta(days=rng.randrange(60, 1200)))
        created = hired.toordinal() * DAY + 15 * HOUR + rng.randrange(0, 4 * HOUR)
        # An admin deactivates a leaver the morning after their last day.
        modified = created if left is None else (left.toordinal() + 1) * DAY + 14 * HOUR
        users.append(_user(user_id, username, first, last, role, role_ids, manager_of,
                           left is None, timeline.stamp(created), timeline.stamp(modified),
                           profile))
        if kind != "manager":
            reps.append(_habits(rng, user_id, role, hired, left, timeline.as_of))
    _spread_productivity(rng, reps)
    return Team(roles, users, reps)


def _spread_productivity(rng: random.Random, reps: list[Rep]) -> None:
    """Give each team evenly spread multipliers from 0.6 to 1.3, in a seeded order.

    Drawing each rep's multiplier independently would let one seed's AEs all be slow; spreading
    them keeps every team's average at 0.95 so team KPIs stay near their targets.
    """
    for role in dict.fromkeys(r.role for r in reps):
        team = [r for r in reps if r.role == role]
        levels = [0.6 + 0.7 * (i + 0.5) / len(team) for i in range(len(team))]
        rng.shuffle(levels)
        for rep, level in zip(team, levels, strict=True):
            rep.productivity = round(level, 3)


def _user(user_id: str, username: str, first: str, last: str, role: str,
          role_ids: dict[str, str], manager_of: dict[str, str], active: bool,
          created: str, modified: str, profile: str) -> dict:
    manager_role = _MANAGER_ROLE.get(role)
    return {
        "Id": user_id,
        "Username": username,
        "Name": f"{first} {last}",
        "FirstName": first,
        "LastName": last,
        "Email": username,
        "Alias": (fold(first)[:1] + fold(last).replace("-", ""))[:8],
        "Title": _TITLE[role],
        "Department": _DEPARTMENT[role],
        "Division": _DIVISION.get(role),
        "IsActive": active,
        "UserRoleId": role_ids[role],
        "ManagerId": manager_of[manager_role] if manager_role else None,
        "ProfileId": profile,
        "UserType": "Standard",
        "TimeZoneSidKey": _ZONE.get(role, "America/New_York"),
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modified,
    }


def _habits(rng: random.Random, user_id: str, role: str, hired: date, left: date | None,
            as_of: date) -> Rep:
    return Rep(
        id=user_id,
        role=role,
        first_day=hired.toordinal(),
        last_day=(left or as_of).toordinal(),
        productivity=1.0,
        connect_rate=round(rng.uniform(0.27, 0.43), 3),
        booking_rate=round(rng.uniform(0.2, 0.3), 3),
        win_rate=round(rng.uniform(0.25, 0.35), 3),
    )
