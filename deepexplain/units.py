"""The units of the modified chain rule: what a rule replaces on the path from X to T.

Completeness (attributions summing to ``T(x) − T(reference)``) holds by construction on
networks built from four kinds of parts, each with one rule (Shrikumar et al., 2017;
Lundberg & Lee, 2017):

* linear ops (dense layers, convolutions, sums, reshapes, constant scalings): no unit,
  their ordinary gradient;
* :class:`Group`: a connected group of elementwise ops whose only input-dependent operand
  is one tensor, the *entry* ``x`` (swish ``x·σ(x)``, GELU, hard-swish, exp, rsqrt, clipping):
  one unit ``y = f(x)`` whose rule sees only ``x`` and the group's output ``y``;
* :class:`Product`: a product or quotient of two input-dependent tensors (``Mul``,
  ``RealDiv``, ``SquaredDifference``, ``MatMul``/``BatchMatMul``/``Einsum``);
* :class:`Softmax` and :class:`Reduction` (max-pooling, ``Max``/``Min``): one op each.

Groups are found by walking the path: an elementwise op whose input-dependent operands
all come from one entry tensor joins that entry's group; a tensor used outside the group
(or by two groups) ends it, and becomes the entry of what follows. A group whose ops are
all linear is no unit. Where an op's output has another shape than its input-dependent
operands (a broadcast), it is no group member; a product of two input-dependent tensors
is then a :class:`Product`.
"""
import tensorflow as tf

NONLINEAR_UNARY = frozenset({
    "Relu", "Relu6", "LeakyRelu", "Elu", "Selu", "Sigmoid", "Tanh", "Softplus", "Softsign", "Erf", "Erfc",
    "Exp", "Expm1", "Log", "Log1p", "Square", "Sqrt", "Rsqrt", "Reciprocal", "Inv", "Abs", "Sin", "Cos", "Tan",
    "Atan", "Sinh", "Cosh", "Asinh", "Atanh",
})
"""Elementwise op types of one operand, nonlinear."""

TRANSPARENT = frozenset({"Identity", "Snapshot", "Cast", "IdentityN"})
"""Elementwise op types whose gradient passes the incoming gradient on unchanged (``IdentityN`` is how
``tf.custom_gradient`` wraps a function, Keras's swish for one: its first output is its first input)."""

ELEMENTWISE = NONLINEAR_UNARY | TRANSPARENT | frozenset({
    "Neg", "AddV2", "Add", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "Maximum", "Minimum", "Pow",
    "SquaredDifference", "ClipByValue",
})
"""The op types that may belong to a :class:`Group`."""

PRODUCTS = frozenset({"Mul", "RealDiv", "Div", "SquaredDifference", "MatMul", "BatchMatMul", "BatchMatMulV2",
                      "BatchMatMulV3", "Einsum"})
"""The op types that are a :class:`Product` when both their operands depend on the inputs."""

REDUCTION_TYPES = frozenset({"MaxPool", "MaxPoolV2", "MaxPool3D", "Max", "Min"})

NESTED = frozenset({"While", "StatelessWhile", "If", "StatelessIf", "Case", "StatelessCase", "PartitionedCall",
                    "StatefulPartitionedCall"})
"""Op types that run a function of their own (loops, conditionals, nested ``tf.function`` calls)."""

NONLINEAR_OTHER = frozenset({"Softmax", "LogSoftmax", "Maximum", "Minimum", "Pow", "DivNoNan"})


class Group:
    """Elementwise ops ``ops`` (inputs first) computing ``y = f(x)`` from the one tensor ``entry``.

    ``exit`` is the op whose first output is ``y``; ``chain`` maps the ops of one path from
    ``exit`` back to ``entry`` to the index of the operand on that path, along which a rule
    sends the gradient at ``x`` (the other operands get none). ``rectifier``: the group contains a
    ReLU-family op, or is a gated unit ``x·g(x)`` (swish, GELU, hard-swish, mish): a product of a
    linear function of ``x`` and a nonlinear one.
    """

    def __init__(self, ops, entry, chain, rectifier=False):
        self.ops = tuple(ops)
        self.entry = entry
        self.exit = self.ops[-1]
        self.chain = chain
        self.rectifier = rectifier

    @property
    def type(self):
        return self.exit.type if len(self.ops) == 1 else f"Group({','.join(op.type for op in self.ops)})"

    @property
    def output(self):
        return self.exit.outputs[0]

    @property
    def references(self):
        """The tensors whose reference values the rule needs: ``x`` and ``y``."""
        return self.entry, self.output

    def nonlinear_types(self):
        return sorted({op.type for op in self.ops if op.type not in TRANSPARENT | {"Neg", "AddV2", "Add", "Sub"}})


class _OneOp:
    """A unit of the single op ``op``, whose rule reads the reference values of its first input and output."""

    def __init__(self, op):
        self.ops = (op,)
        self.exit = op

    @property
    def type(self):
        return self.exit.type

    @property
    def references(self):
        return self.exit.inputs[0], self.exit.outputs[0]


class Product(_OneOp):
    """``op``, a product (or quotient, squared difference) of its two input-dependent operands.

    ``gate`` is the index of the operand that is a gate (a sigmoid, softmax or normalisation scale
    ``1/√v``, up to reshapes and constant factors), or None; ``scale`` the index of the operand that is
    a normalisation's scale: the factor ``1/√v`` of a ``Mul`` or the divisor ``√v`` of a quotient
    (layer, RMS and group normalisation), or None."""

    def __init__(self, op, gate=None, scale=None):
        super().__init__(op)
        self.gate = gate
        self.scale = scale

    @property
    def type(self):
        return f"Product({self.exit.type})"

    @property
    def references(self):
        return self.exit.inputs[0], self.exit.inputs[1]


class Softmax(_OneOp):
    """A ``Softmax`` op on an input-dependent tensor (attention weights)."""


class Reduction(_OneOp):
    """Max-pooling or a ``Max``/``Min`` reduction ``op`` (the DeepLIFT max rule)."""


def _key(tensor):
    return tensor.name


def _same_shape(a, b):
    """Whether ``a`` and ``b`` may have one shape (unknown dimensions, or ranks, match anything)."""
    a, b = tf.TensorShape(a.shape), tf.TensorShape(b.shape)
    if a.rank is None or b.rank is None:
        return True
    if a.rank != b.rank:
        return False
    return all(p is None or q is None or p == q for p, q in zip(a.as_list(), b.as_list()))


def post_order(output_op, stop_ops):
    """Ops reachable backwards from ``output_op`` (not expanding ``stop_ops``), inputs first."""
    order, seen, stack = [], set(), [(output_op, False)]
    while stack:
        op, expanded = stack.pop()
        if expanded:
            order.append(op)
        elif op not in seen:
            seen.add(op)
            stack.append((op, True))
            if op not in stop_ops:
                stack.extend((t.op, False) for t in op.inputs if t.op not in seen)
    return order


SHAPE_OPS = frozenset({"Shape", "ShapeN", "Size", "Rank", "ZerosLike", "OnesLike"})
"""Op types whose output depends on the shape of their input, not on its values (no gradient flows through
them): a tensor made from them (the zero state of a recurrent layer, sized by the batch) is a constant to the
rules, whether the batch is known when the graph is built or not."""


def input_dependence(inputs, output):
    """Map each op that ``output`` depends on to whether it depends on the values of any of ``inputs``."""
    input_ops = {x.op for x in inputs}
    depends = {}
    for op in post_order(output.op, input_ops):
        depends[op] = op in input_ops or (
            op.type not in SHAPE_OPS and any(depends.get(t.op, False) for t in op.inputs)
        )
    return depends


class Path:
    """The ops between ``inputs`` and ``output``, inputs first, and which operands depend on the inputs.

    Only floating-point tensors count as input-dependent (no gradient flows through integers or
    booleans, such as the comparison that selects in ``tf.where``)."""

    def __init__(self, inputs, output):
        self.output = output
        self.depends = input_dependence(inputs, output)
        input_ops = {x.op for x in inputs}
        self.ops = [op for op, dep in self.depends.items() if dep and op not in input_ops]
        self.consumers = {}
        for op in self.ops:
            for i in self.operands(op):
                self.consumers.setdefault(_key(op.inputs[i]), []).append(op)

    def dependent(self, tensor):
        return self.depends.get(tensor.op, False) and tensor.dtype.is_floating

    def operands(self, op):
        """The indices of the input-dependent operands of ``op`` (of ``IdentityN``, the first only)."""
        indices = range(1 if op.type == "IdentityN" else len(op.inputs))
        return [i for i in indices if self.dependent(op.inputs[i])]

    def is_elementwise(self, op):
        if op.type not in ELEMENTWISE or not op.outputs or not op.outputs[0].dtype.is_floating:
            return False
        if op.type == "IdentityN" and any(_key(t) in self.consumers for t in op.outputs[1:]):
            return False
        return all(_same_shape(op.inputs[i], op.outputs[0]) for i in self.operands(op))

    def is_nonlinear(self, op):
        """Whether the elementwise ``op`` is nonlinear in its input-dependent operands."""
        operands = self.operands(op)
        if op.type in ("Mul",):
            return len(operands) > 1
        if op.type in ("RealDiv", "Div", "DivNoNan"):
            return 1 in operands
        return op.type in NONLINEAR_UNARY or op.type in ("Maximum", "Minimum", "Pow", "SquaredDifference",
                                                         "ClipByValue")


def _groups(path):
    """The groups of elementwise ops on ``path``: a list of ``(ops, entry)``, each in path order."""
    members = [op for op in path.ops if path.is_elementwise(op)]
    member_set = set(members)
    internal = set()
    for op in members:
        key = _key(op.outputs[0])
        users = path.consumers.get(key, [])
        if op.outputs[0] is not path.output and users and all(u in member_set for u in users):
            internal.add(key)
    while True:
        sources = {}
        for op in members:  # inputs first: a merge of two sources ends the groups that meet there
            found = {}
            for i in path.operands(op):
                t = op.inputs[i]
                found.update(sources[t.op] if _key(t) in internal else {_key(t): t})
            if len(found) > 1:
                internal -= {_key(op.inputs[i]) for i in path.operands(op)} | {_key(op.outputs[0])}
            sources[op] = found
        ended = _shared_groups(path, members, internal)
        if not ended:
            break
        internal -= ended
    groups = []
    for op in members:
        if _key(op.outputs[0]) in internal or len(sources[op]) != 1:
            continue
        ops, stack = set(), [op]
        while stack:
            member = stack.pop()
            ops.add(member)
            stack.extend(member.inputs[i].op for i in path.operands(member) if _key(member.inputs[i]) in internal)
        groups.append(_trimmed(path, [m for m in members if m in ops], next(iter(sources[op].values()))) + (internal,))
    return groups


def _trimmed(path, ops, entry):
    """``(ops, entry)`` without the linear ops at either end (they keep their own gradients): a first op
    that alone reads the entry becomes the entry's producer, a last op that reads one member's output
    alone hands the exit to that member. The Rescale multiplier of ``f(a·x + b)`` is ``a`` times that of
    ``f``, so trimming changes no attribution; it leaves the single rectifiers their fused kernels."""
    ops = list(ops)
    while len(ops) > 1 and not path.is_nonlinear(ops[0]) and ops[0].type != "IdentityN":
        readers = [op for op in ops if any(_key(op.inputs[i]) == _key(entry) for i in path.operands(op))]
        if readers != [ops[0]]:
            break
        entry = ops.pop(0).outputs[0]
    while len(ops) > 1 and not path.is_nonlinear(ops[-1]) and ops[-1].type != "IdentityN":
        operands = {_key(ops[-1].inputs[i]) for i in path.operands(ops[-1])}
        if operands != {_key(ops[-2].outputs[0])}:
            break
        ops.pop()
    return ops, entry


def _shared_groups(path, members, internal):
    """The internal tensors of groups that would have more than one output: they end those groups."""
    exit_of = {}
    for op in reversed(members):
        key = _key(op.outputs[0])
        if key not in internal:
            exit_of[op] = {op}
        else:
            exit_of[op] = set().union(*(exit_of[u] for u in path.consumers[key]))
    return {_key(op.outputs[0]) for op in members if _key(op.outputs[0]) in internal and len(exit_of[op]) > 1}


def _chain(path, ops, entry, internal):
    """One path from the group's exit back to ``entry``: each op on it mapped to its operand's index."""
    target, exit_op = _key(entry), ops[-1]

    def walk(op):
        for i in path.operands(op):
            t = op.inputs[i]
            if _key(t) == target:
                return {op: i}
            if _key(t) in internal:
                rest = walk(t.op)
                if rest is not None:
                    return {op: i, **rest}
        return None

    return walk(exit_op)


RECTIFIER_TYPES = frozenset({"Relu", "Relu6", "LeakyRelu", "Elu", "Selu"})

GATE_TYPES = frozenset({"Sigmoid", "Softmax", "Rsqrt", "Reciprocal", "Inv"})
"""The op types whose output, as an operand of a product, is a gate."""

_PASSING = frozenset({"Reshape", "Transpose", "ExpandDims", "Squeeze", "BroadcastTo", "Tile", "Mul", "RealDiv",
                      "AddV2", "Sub", "Neg"}) | TRANSPARENT


def _linear_route(path, tensor, stop):
    """The op reached from ``tensor`` backwards through reshapes and ops with one input-dependent operand
    (constant factors and offsets), stopping at ``stop`` (a tensor name) or at any other op."""
    while tensor.name != stop and tensor.op.type in _PASSING:
        operands = path.operands(tensor.op)
        if len(operands) != 1 or (tensor.op.type == "RealDiv" and operands != [0]):
            break
        tensor = tensor.op.inputs[operands[0]]
    return tensor


def _is_gate(path, tensor, units):
    source = _linear_route(path, tensor, None).op
    if source.type in GATE_TYPES:
        return True
    unit = units.get(source)
    return isinstance(unit, Group) and not unit.rectifier and any(op.type in GATE_TYPES | {"Relu6"} for op in unit.ops)


SCALE_TYPES = {"Mul": "Rsqrt", "RealDiv": "Sqrt", "Div": "Sqrt"}
"""For each product type, the op type that makes an operand a normalisation's scale (the divisor only, for a
quotient)."""


def _scale(path, op):
    """The index of the operand of the product ``op`` computed, up to reshapes and constant factors, by an op
    of the type ``SCALE_TYPES[op.type]``; None when no operand, or both, is."""
    source_type = SCALE_TYPES.get(op.type)
    found = [i for i in ([0, 1] if op.type == "Mul" else [1])
             if _linear_route(path, op.inputs[i], None).op.type == source_type]
    return found[0] if len(found) == 1 else None


def _is_rectifier(path, ops, entry):
    if any(op.type in RECTIFIER_TYPES for op in ops):
        return True
    for op in ops:
        operands = path.operands(op)
        if op.type == "Mul" and len(operands) == 2:
            linear = [_linear_route(path, op.inputs[i], entry.name).name == entry.name for i in operands]
            if sum(linear) == 1:
                return True
    return False


def find_units(inputs, output):
    """The units on the path from ``inputs`` to ``output``.

    Parameters
    ----------
    inputs : list of tf.Tensor
        The tensors attributions are computed for (``X``).
    output : tf.Tensor
        The explained tensor (``T``).

    Returns
    -------
    tuple
        ``(units, path, loose)``: the units in path order (inputs first, so two traces of one model
        list them alike), the :class:`Path`, and the names of the nonlinear ops on the path that belong
        to no unit (loops and nested functions among them), which keep their plain gradient.
    """
    path = Path(inputs, output)
    units, grouped = {}, set()
    for ops, entry, internal in _groups(path):
        grouped.update(ops)
        if any(path.is_nonlinear(op) for op in ops):
            units[ops[-1]] = Group(ops, entry, _chain(path, ops, entry, internal), _is_rectifier(path, ops, entry))
    loose = set()
    for op in path.ops:
        if op in grouped:
            continue
        operands = path.operands(op)
        two = len(operands) > 1
        if op.type in PRODUCTS and two:
            gates = [i for i in operands[:2] if _is_gate(path, op.inputs[i], units)]
            units[op] = Product(op, gates[0] if len(gates) == 1 else None, _scale(path, op))
        elif op.type == "Softmax":
            units[op] = Softmax(op)
        elif op.type in REDUCTION_TYPES:
            units[op] = Reduction(op)
        elif op.type in NESTED:
            loose.add(op.type)
        elif op.type.startswith("FusedBatchNorm") and op.get_attr("is_training"):
            loose.add(f"{op.type} (normalising by the statistics of its own input)")
        elif op.type in NONLINEAR_UNARY | NONLINEAR_OTHER or (op.type in ("RealDiv", "Div") and 1 in operands):
            loose.add(f"{op.type} (of two input-dependent tensors)" if two else op.type)
    ordered = [units[op] for op in path.ops if op in units]
    return ordered, path, loose


def is_nonlinear(graph):
    """Whether a function needs the rules of the modified chain rule inside it (Shrikumar et al., 2017).

    Parameters
    ----------
    graph : FuncGraph
        The graph of a concrete function (``concrete.graph``, or the body of a ``PartitionedCall``).

    Returns
    -------
    bool
        Whether :func:`find_units` finds units or loose nonlinear ops between the
        graph's floating inputs (captures excluded) and any of its floating outputs: False for an affine
        map or a grouped convolution ``y = W * x + b``, True for ``x·σ(x)``.
    """
    captured = {t.ref() for t in graph.internal_captures}
    inputs = [t for t in graph.inputs if t.dtype.is_floating and t.ref() not in captured]
    for output in graph.outputs:
        if inputs and output.dtype.is_floating:
            found, _, loose = find_units(inputs, output)
            if found or loose:
                return True
    return False
