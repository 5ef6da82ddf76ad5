import pytest

from cbred.registry import Registry, UnknownNameError


def test_duplicate_registration_is_rejected():
    registry = Registry("thing")
    registry.register("a")(1)
    with pytest.raises(ValueError, match=r"thing 'a' is already registered \(registered: a\)"):
        registry.register("a")(2)
    assert registry["a"] == 1 and "a" in registry and len(registry) == 1
    with pytest.raises(ValueError, match="non-empty string"):
        registry.register("")


def test_unknown_names_list_the_sorted_choices_and_names_keep_registration_order():
    registry = Registry("network")
    for name in ("zeta", "alpha", "mid"):
        registry[name] = name.upper()
    assert registry.names() == ("zeta", "alpha", "mid") and list(registry) == ["zeta", "alpha", "mid"]
    with pytest.raises(UnknownNameError) as raised:
        registry["beta"]
    assert str(raised.value) == "unknown network 'beta' (choices: alpha, mid, zeta)"  # unquoted, sorted
    with pytest.raises(UnknownNameError, match="unknown network"):
        registry[["not", "hashable"]]
    with pytest.raises(ValueError, match="non-empty string, got 3"):
        registry[3] = "three"
    del registry["alpha"]
    assert registry.names() == ("zeta", "mid") and repr(registry) == "Registry('network': zeta, mid)"
