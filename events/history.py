from events.models import Registration, RegistrationChange


def registration_log(
    *, registration: Registration, action: str, actor=None, detail: str = ""
) -> None:
    """Record one step of a registration's history (inside the caller's transaction)."""
    RegistrationChange.objects.create(
        registration=registration,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        detail=detail[:500],
    )
