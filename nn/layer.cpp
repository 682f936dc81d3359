#include "nn/layer.h"

#include "nn/op.h"

namespace weightfault::nn {

bool Layer::has_weights() const {
  return op_of(*this).stores_params();
}

}  // namespace weightfault::nn
