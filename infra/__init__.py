"""Settings, errors, connection factories, the local stack launcher and the gate simulator."""
