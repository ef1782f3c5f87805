def registration_confirmation_send(*, registration) -> None:
    pass
