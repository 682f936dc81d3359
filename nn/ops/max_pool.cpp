// max_pool: max pooling over a window (kernel, stride, padding); input [C, H, W].
#include "nn/ops/pooling.h"

namespace weightfault::nn {

const Op& max_pool_op() {
  static const PoolingOp op("max_pool", true, false);
  return op;
}

}  // namespace weightfault::nn
