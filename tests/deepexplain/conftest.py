import pytest
from networks import EagerStyle, GraphStyle


@pytest.fixture(params=[pytest.param(GraphStyle(), marks=pytest.mark.session, id="graph"),
                        pytest.param(EagerStyle(), id="eager")])
def style(request):
    """Each test runs once in a session graph and once in eager code."""
    return request.param
