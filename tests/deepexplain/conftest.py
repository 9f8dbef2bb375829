import pytest

from networks import EagerStyle, GraphStyle


@pytest.fixture(params=[GraphStyle(), EagerStyle()], ids=lambda s: s.name)
def style(request):
    """Each test runs once in a session graph and once in eager code."""
    return request.param
