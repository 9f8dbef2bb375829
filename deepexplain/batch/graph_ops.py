"""Which operations a SavedModel's graphs hold, read from ``saved_model.pb`` before anything is loaded.

A SavedModel is a program: ``tf.saved_model.load`` and its signatures run whatever ops its
graphs hold, ``WriteFile``, ``ReadFile``, ``PyFunc`` or ``PrintV2`` to a file included. A model is
accepted only when every op of its graph and of every function of its library is in
:data:`COMPUTATION_OPS` (tensor arithmetic, neural-network layers, shapes, control flow, random
numbers and variables). The checkpoint functions that ``tf.saved_model.save`` adds to every
SavedModel (``__traced_save``/``__traced_restore``, named by the saver and called from nowhere
else) may also hold :data:`CHECKPOINT_OPS`: TensorFlow 2's loader restores the variables
without running them.
"""
from .sources import DataError

COMPUTATION_OPS = frozenset("""
Abs Acos Acosh Add AddN AddV2 AdjustContrastv2 AdjustHue AdjustSaturation All Angle Any ApproximateEqual ArgMax ArgMin
Asin Asinh Assert Assign AssignAdd AssignAddVariableOp AssignSub AssignSubVariableOp AssignVariableOp Atan Atan2 Atanh
AvgPool AvgPool3D AvgPoolGrad BatchMatMul BatchMatMulV2 BatchMatMulV3 BatchToSpaceND BiasAdd BiasAddGrad BiasAddV1
Bitcast BroadcastArgs BroadcastGradientArgs BroadcastTo Bucketize Case Cast Ceil CheckNumerics CheckNumericsV2 Cholesky
ClipByValue Complex ComplexAbs ConcatOffset ConcatV2 Conj Const Conv2D Conv2DBackpropFilter Conv2DBackpropInput Conv3D
Conv3DBackpropFilterV2 Conv3DBackpropInputV2 Cos Cosh CropAndResize Cross CudnnRNN CudnnRNNBackprop
CudnnRNNBackpropV2 CudnnRNNBackpropV3 CudnnRNNCanonicalToParams CudnnRNNCanonicalToParamsV2 CudnnRNNParamsToCanonical
CudnnRNNParamsToCanonicalV2 CudnnRNNV2 CudnnRNNV3 Cumprod Cumsum DepthToSpace
DepthwiseConv2dNative DepthwiseConv2dNativeBackpropFilter DepthwiseConv2dNativeBackpropInput DestroyResourceOp Diag
DiagPart Digamma Dilation2D DisableCopyOnRead Div DivNoNan DynamicPartition DynamicStitch Einsum Elu EluGrad Empty
EnsureShape Enter Equal Erf Erfc Exit Exp ExpandDims Expm1 ExtractImagePatches FFT FFT2D Fill Floor FloorDiv FloorMod
FusedBatchNorm FusedBatchNormGrad FusedBatchNormGradV3 FusedBatchNormV2 FusedBatchNormV3 Gather GatherNd GatherV2
Greater GreaterEqual HSVToRGB IFFT IFFT2D IRFFT IRFFT2D Identity IdentityN If Imag ImageProjectiveTransformV2
ImageProjectiveTransformV3 InTopKV2 Inv InvertPermutation IsFinite IsInf IsNan IsVariableInitialized L2Loss LRN
LeakyRelu LeakyReluGrad LeftShift Less LessEqual Lgamma LinSpace Log Log1p LogSoftmax LogicalAnd LogicalNot LogicalOr
LoopCond MatMul MatrixBandPart MatrixDeterminant MatrixDiag MatrixDiagPart MatrixDiagPartV3 MatrixDiagV3 MatrixInverse
MatrixSetDiag MatrixSetDiagV3 MatrixSolve MatrixTriangularSolve Max MaxPool MaxPool3D MaxPoolGrad MaxPoolV2 Maximum
Mean Merge Min Minimum MirrorPad Mod Mul MulNoNan Multinomial Neg NextIteration NoOp NonMaxSuppressionV3
NonMaxSuppressionV4 NonMaxSuppressionV5 NotEqual OneHot OnesLike Pack Pad PadV2 PartitionedCall Placeholder
PlaceholderWithDefault Pow PreventGradient Prod Qr RFFT RFFT2D RGBToHSV RandomGamma RandomShuffle RandomStandardNormal
RandomUniform RandomUniformInt Range Rank ReadVariableOp Real RealDiv Reciprocal ReciprocalGrad Relu Relu6 Relu6Grad
ReluGrad Reshape ResizeArea ResizeBicubic ResizeBilinear ResizeBilinearGrad ResizeNearestNeighbor
ResizeNearestNeighborGrad ResourceGather ResourceScatterAdd ResourceScatterUpdate Reverse ReverseSequence ReverseV2
RightShift Rint Round Rsqrt RsqrtGrad ScatterNd SegmentMax SegmentMean SegmentMin SegmentProd SegmentSum Select
SelectV2 SelfAdjointEigV2 Selu SeluGrad Shape ShapeN Sigmoid SigmoidGrad Sign Sin Sinh Size Slice Snapshot Softmax
SoftmaxCrossEntropyWithLogits Softplus SoftplusGrad Softsign SoftsignGrad SpaceToBatchND SpaceToDepth
SparseSoftmaxCrossEntropyWithLogits Split SplitV Sqrt SqrtGrad Square SquaredDifference Squeeze StatefulPartitionedCall
StatelessCase StatelessIf StatelessMultinomial StatelessRandomGetAlg StatelessRandomGetKeyCounter
StatelessRandomNormal StatelessRandomNormalV2 StatelessRandomUniform StatelessRandomUniformInt
StatelessRandomUniformIntV2 StatelessRandomUniformV2 StatelessTruncatedNormal StatelessTruncatedNormalV2
StatelessWhile StopGradient StridedSlice StridedSliceGrad Sub Sum Svd Switch Tan Tanh TanhGrad TensorListElementShape
TensorListFromTensor TensorListGetItem TensorListLength TensorListPopBack TensorListPushBack TensorListReserve
TensorListSetItem TensorListStack TensorScatterAdd TensorScatterUpdate Tile TopKV2 Transpose TruncateDiv TruncateMod
TruncatedNormal Unique Unpack UnsortedSegmentMax UnsortedSegmentMin UnsortedSegmentProd UnsortedSegmentSum
VarHandleOp VarIsInitializedOp VariableV2 Where While Xdivy Xlog1py Xlogy ZerosLike
""".split())
"""Operations on tensors and variables only: none reads or writes files, talks to the network or runs Python."""

CHECKPOINT_OPS = frozenset(
    "MergeV2Checkpoints RestoreV2 SaveV2 ShardedFilename StaticRegexFullMatch StringJoin".split()
)
"""The ops of the checkpoint functions every ``tf.saved_model.save`` writes (never run when loading)."""

PRINT_STREAMS = frozenset(["stderr", "stdout", "log(info)", "log(warning)", "log(error)"])
"""Where a ``PrintV2`` op may print: not to a file."""


def _called_functions(node):
    """Names of the library functions a node calls (``f``, ``then_branch``, ``body``, ...)."""
    names = []
    for value in node.attr.values():
        if value.HasField("func"):
            names.append(value.func.name)
        names.extend(f.name for f in value.list.func)
    return names


def _allowed(node, extra=frozenset()):
    if node.op == "PrintV2":
        return node.attr["output_stream"].s.decode(errors="replace") in PRINT_STREAMS
    return node.op in COMPUTATION_OPS or node.op in extra


def _saver_functions(meta_graph):
    """The functions called by the saver's nodes only (``__traced_save``/``__traced_restore``)."""
    saver = meta_graph.saver_def
    saver_nodes = {saver.save_tensor_name.split(":")[0], saver.restore_op_name.split(":")[0]} - {""}
    called_by_saver, called_elsewhere = set(), set()
    for node in meta_graph.graph_def.node:
        (called_by_saver if node.name in saver_nodes else called_elsewhere).update(_called_functions(node))
    for function in meta_graph.graph_def.library.function:
        for node in function.node_def:
            called_elsewhere.update(_called_functions(node))
    return called_by_saver - called_elsewhere


def untrusted_ops(path):
    """``{op type: [where, ...]}`` for every op of the SavedModel at ``path`` that is not a
    computation on tensors (see the module docstring); empty for a model that may be loaded."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved_model = saved_model_pb2.SavedModel()
    try:
        with open(f"{path}/saved_model.pb", "rb") as f:
            saved_model.ParseFromString(f.read())
    except Exception as e:  # protobuf's DecodeError, OSError
        raise DataError(f"model: cannot read {path}/saved_model.pb ({' '.join(str(e).split())[:200]})") from None
    found = {}
    for meta_graph in saved_model.meta_graphs:
        for node in meta_graph.graph_def.node:
            if not _allowed(node):
                found.setdefault(node.op, []).append(node.name)
        savers = _saver_functions(meta_graph)
        for function in meta_graph.graph_def.library.function:
            extra = CHECKPOINT_OPS if function.signature.name in savers else frozenset()
            for node in function.node_def:
                if not _allowed(node, extra):
                    found.setdefault(node.op, []).append(function.signature.name)
    return found


def check_saved_model(path):
    """Raise :class:`DataError` naming the ops of the SavedModel at ``path`` that are not
    computations on tensors (file or network I/O, Python calls, printing to files, ...)."""
    found = untrusted_ops(path)
    if found:
        listed = ", ".join(f"{op} (in {sorted(set(where))[0]})" for op, where in sorted(found.items())[:8])
        raise DataError(
            f"model: the SavedModel {path} holds operations that are not computations on tensors and could read or "
            f"write files, use the network or run code: {listed}; it was not loaded. If you trust its author, "
            "pass --trust-model-code (trust_model_code=True in Python)"
        )
