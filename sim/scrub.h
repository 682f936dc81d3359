// Scrubbing with SEC-DED write-back, a timeline event owned by sim/: every
// scrub_interval_s the controller reads each codeword of a secded image and
// writes back what the code corrected, so a single flipped bit does not wait
// for a second one to become uncorrectable. Scrubs read through the image's
// own code, so they act per stored image: images without a correcting code
// are left as they are (nothing detects their errors).
//
// What is modelled: a codeword holding exactly one erroneous bit at a scrub,
// that bit a single-bit flip (a bit fault of kind flip, or a record without
// wildcards), has that flip cleared at the scrub. Erroneous bits are counted from every active
// fault -- bit faults and records (row, column, ... faults) -- and stuck-at cells count only where
// they differ from the stored bit; stuck cells stay wrong after a write-back. Multi-bit records are
// never cleared by a scrub (the read-path decoder still corrects them per codeword).
#pragma once

#include "memory_models/address_mapping.h"
#include "memory_models/fault_map.h"
#include "storage/stored_image.h"

namespace weightfault::sim {

// The fault map as `image` sees it under scrubbing every interval_s.
memory::FaultMap scrubbed(const memory::FaultMap& map, const storage::StoredImage& image,
                          const memory::AddressMapping& mapping, double interval_s);

}  // namespace weightfault::sim
