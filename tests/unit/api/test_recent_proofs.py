from api.auth.recent_proofs import RecentProofs


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_proven_password_is_trusted_until_its_time_ends() -> None:
    clock = Clock()
    proofs = RecentProofs(ttl_s=300, clock=clock)
    assert not proofs.holds(7, "$argon2id$a", "anquan2026")
    proofs.remember(7, "$argon2id$a", "anquan2026")
    assert proofs.holds(7, "$argon2id$a", "anquan2026")
    clock.now += 299
    assert proofs.holds(7, "$argon2id$a", "anquan2026")
    clock.now += 2
    assert not proofs.holds(7, "$argon2id$a", "anquan2026")


def test_only_the_same_user_hash_and_password_are_trusted() -> None:
    proofs = RecentProofs(ttl_s=300)
    proofs.remember(7, "$argon2id$a", "anquan2026")
    assert not proofs.holds(7, "$argon2id$a", "anquan2027")  # another password
    assert not proofs.holds(7, "$argon2id$b", "anquan2026")  # the password was changed
    assert not proofs.holds(8, "$argon2id$a", "anquan2026")  # another officer


def test_the_oldest_proofs_go_past_the_bound_and_a_zero_ttl_remembers_nothing() -> None:
    proofs = RecentProofs(ttl_s=300, max_entries=2)
    for user in (1, 2, 3):
        proofs.remember(user, "h", "p")
    assert [proofs.holds(user, "h", "p") for user in (1, 2, 3)] == [False, True, True]
    never = RecentProofs(ttl_s=0)
    never.remember(1, "h", "p")
    assert not never.holds(1, "h", "p")
