"""The reconciliation of a sponsor's ADTTE with the app's endpoints, in words (Data checks)."""

from __future__ import annotations

SWAPPED_SHARE = 0.9  # the share of the patients both hold whose event status differs that an inverted CNSR explains


def swapped_status_note(endpoint: str, both: int, differs: int) -> str | None:
    """When the sponsor's event status differs from the app's for all or nearly all patients both hold (at least
    two): what a CNSR coded the other way (1 = event) gives, and the profile key that reads it so (review 15,
    finding 3: "sponsor 4 events" where its own data said 1). None otherwise: a few differences are definitions."""
    if differs < 2 or differs < SWAPPED_SHARE * both:
        return None
    share = "every one" if differs == both else "nearly all"
    return (
        f"{endpoint}: the event status differs for {differs} of the {both} patients both hold ({share}), which is "
        "what a CNSR coded the other way gives (1 = event, where CDISC codes 0 = event). If the sponsor codes it so, "
        "set [adtte] cnsr_event = 1 in the import profile and import again: the sponsor's events are then counted "
        "by it."
    )
