// Stand-in for a header of libtorch's distributed autograd that Debian's
// libtorch-dev 1.13 does not ship, although c10d's reducer.hpp includes it.
// The Reducer only holds a shared_ptr to a DistAutogradContext (whose size
// does not depend on the class) and checks that its GradCallback type is
// the one below, so these two declarations are all it needs. The setup
// adds this folder to the include path only when the real header is
// missing.
#pragma once

#include <functional>
#include <memory>

#include <ATen/core/Tensor.h>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor &)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

} // namespace autograd
} // namespace distributed
} // namespace torch
