// avg_pool: average pooling over a window, padded cells not counted; input [C, H, W].
#include "nn/ops/pooling.h"

namespace weightfault::nn {

const Op& avg_pool_op() {
  static const PoolingOp op("avg_pool", false, false);
  return op;
}

}  // namespace weightfault::nn
