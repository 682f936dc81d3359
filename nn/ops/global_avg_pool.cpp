// global_avg_pool: average over each channel's whole plane: [C, H, W] -> [C].
#include "nn/ops/pooling.h"

namespace weightfault::nn {

const Op& global_avg_pool_op() {
  static const PoolingOp op("global_avg_pool", false, true);
  return op;
}

}  // namespace weightfault::nn
