// field_faults: DRAM faults observed in the field, by mode, at FIT rates per
// device -- FaultSim's default table from the Jaguar study (Sridharan &
// Liberty, SC12; docs/physics.md). Every device (channel x rank x chip) gets,
// for each mode, Poisson(FIT * fit_scale * hours / 1e9) transient and
// permanent faults at uniform times in [t0, t1). A fault is one record in
// physical coordinates, confined to its device, with the mode's wildcards:
//
//   mode           transient FIT  permanent FIT  fixed fields (the rest are any value)
//   single-bit          14.2          18.6      rank, bank, row, column, bit
//   single-word          1.4           0.3      rank, bank, row, column
//   single-column        1.4           5.6      rank, bank, column
//   single-row           0.2           8.2      rank, bank, row
//   single-bank          0.8          10.0      rank, bank
//   multi-bank           0.3           1.4      rank
//   multi-rank           0.9           2.8      (the whole device)
//
// Transient faults flip their bits until the next rewrite; permanent faults
// make their bits stuck at 0 or 1 (one value per fault, each with
// probability 1/2) for good.
//
// Optional Weibull hazard for permanent faults (a power-law non-homogeneous
// Poisson process): cumulative expected faults Lambda(t) = lambda L (t/L)^beta
// with L = weibull_reference_s, so the table's FIT holds on average over L;
// beta < 1 puts more faults early in life (infant mortality), beta > 1 late
// (wear-out). Arrival times invert Lambda: t = L u^(1/beta), u uniform in
// [(t0/L)^beta, (t1/L)^beta]. beta = 1 is the constant-rate process.
#include <array>
#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>

#include "memory_models/fault_model.h"

namespace weightfault::memory {
namespace {

struct Mode {
  const char* name;
  double transient_fit;
  double permanent_fit;
  std::uint8_t wildcard;
};

constexpr double kSecondsPerBillionHours = 3.6e12;

const std::array<Mode, 7>& jaguar_modes() {
  static const std::array<Mode, 7> modes{{
      {"single-bit", 14.2, 18.6, 0},
      {"single-word", 1.4, 0.3, wildcard_of({Field::bit})},
      {"single-column", 1.4, 5.6, wildcard_of({Field::row, Field::bit})},
      {"single-row", 0.2, 8.2, wildcard_of({Field::column, Field::bit})},
      {"single-bank", 0.8, 10.0, wildcard_of({Field::row, Field::column, Field::bit})},
      {"multi-bank", 0.3, 1.4, wildcard_of({Field::bank, Field::row, Field::column, Field::bit})},
      {"multi-rank", 0.9, 2.8,
       wildcard_of({Field::rank, Field::bank, Field::row, Field::column, Field::bit})},
  }};
  return modes;
}

class FieldFaults final : public FaultModel {
 public:
  FieldFaults(double fit_scale, std::string kinds, double weibull_shape, double weibull_reference_s)
      : fit_scale_(fit_scale),
        kinds_(std::move(kinds)),
        shape_(weibull_shape),
        reference_s_(weibull_reference_s) {}

  void generate(const FaultModelContext& ctx, Rng& rng, FaultMap& sink) const override {
    const Geometry& g = ctx.mapping.geometry();
    const double window_s = ctx.t1_s - ctx.t0_s;
    if (!(window_s > 0.0)) return;
    boost::random::uniform_real_distribution<double> when(ctx.t0_s, ctx.t1_s);
    boost::random::bernoulli_distribution<double> coin(0.5);
    const auto pick = [&](std::uint64_t n) {
      return boost::random::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng);
    };
    for (std::uint64_t channel = 0; channel < g.channels; ++channel) {
      for (std::uint64_t rank = 0; rank < g.ranks; ++rank) {
        for (std::uint64_t chip = 0; chip < g.devices_per_rank(); ++chip) {
          for (const auto& mode : jaguar_modes()) {
            for (const bool permanent : {false, true}) {
              if ((permanent && kinds_ == "transient") || (!permanent && kinds_ == "permanent"))
                continue;
              const double fit = (permanent ? mode.permanent_fit : mode.transient_fit) * fit_scale_;
              boost::random::poisson_distribution<std::uint64_t, double> count(
                  expected_in(fit, permanent, ctx.t0_s, ctx.t1_s));
              const std::uint64_t events = fit > 0.0 ? count(rng) : 0;
              for (std::uint64_t e = 0; e < events; ++e) {
                FaultRecord r;
                r.address.set(Field::channel, channel);
                r.address.set(Field::rank, rank);
                r.address.set(Field::bank, pick(g.banks));
                r.address.set(Field::row, pick(g.rows));
                r.address.set(Field::column, pick(g.columns));
                r.address.set(Field::bit, chip * g.device_width + pick(g.device_width));
                r.wildcard = mode.wildcard;
                r.kind = permanent ? (coin(rng) ? FaultKind::stuck_at_1 : FaultKind::stuck_at_0)
                                   : FaultKind::flip;
                r.model = ctx.model_index;
                r.onset_s = permanent ? arrival(ctx.t0_s, ctx.t1_s, rng) : when(rng);
                sink.add(r);
              }
            }
          }
        }
      }
    }
  }

  // Faults over the whole memory (records are per device, not per stored bit).
  double expected_faults(const FaultModelContext& ctx) const override {
    const Geometry& g = ctx.mapping.geometry();
    double expected = 0.0;
    for (const auto& mode : jaguar_modes()) {
      if (kinds_ != "permanent")
        expected += expected_in(mode.transient_fit * fit_scale_, false, ctx.t0_s, ctx.t1_s);
      if (kinds_ != "transient")
        expected += expected_in(mode.permanent_fit * fit_scale_, true, ctx.t0_s, ctx.t1_s);
    }
    return expected * static_cast<double>(g.channels * g.ranks * g.devices_per_rank());
  }

  // Transient faults since the last rewrite plus every permanent fault so far.
  double expected_active(const FaultModelContext& ctx, double t_s) const override {
    const Geometry& g = ctx.mapping.geometry();
    const double w = ctx.last_write_at_or_before(t_s);
    double expected = 0.0;
    for (const auto& mode : jaguar_modes()) {
      if (kinds_ != "permanent")
        expected += expected_in(mode.transient_fit * fit_scale_, false, w, t_s);
      if (kinds_ != "transient")
        expected += expected_in(mode.permanent_fit * fit_scale_, true, ctx.t0_s, t_s);
    }
    return expected * static_cast<double>(g.channels * g.ranks * g.devices_per_rank());
  }

 private:
  // Expected faults of one device and mode in [t0, t1).
  double expected_in(double fit, bool permanent, double t0_s, double t1_s) const {
    const double rate_per_s = fit / kSecondsPerBillionHours;
    if (!permanent || shape_ == 1.0) return rate_per_s * (t1_s - t0_s);
    return rate_per_s * reference_s_ *
           (std::pow(t1_s / reference_s_, shape_) - std::pow(t0_s / reference_s_, shape_));
  }
  double arrival(double t0_s, double t1_s, Rng& rng) const {
    if (shape_ == 1.0) return boost::random::uniform_real_distribution<double>(t0_s, t1_s)(rng);
    const double u = boost::random::uniform_real_distribution<double>(
        std::pow(t0_s / reference_s_, shape_), std::pow(t1_s / reference_s_, shape_))(rng);
    return std::min(reference_s_ * std::pow(u, 1.0 / shape_), std::nextafter(t1_s, t0_s));
  }

  double fit_scale_;
  std::string kinds_;
  double shape_;
  double reference_s_;
};

}  // namespace

FaultModelInfo field_faults_info() {
  return {
      "field_faults",
      "DRAM field faults by mode (bit, word, column, row, bank, multi-bank, multi-rank) at "
      "FaultSim's Jaguar FIT "
      "rates per device",
      {number_param("fit_scale", "",
                    "multiplier of every FIT rate of the table (e.g. 6.7 for DDR4-2400 DIMMs)", 0.0,
                    1e6, 1.0, true),
       choice_param("kinds", "which faults to draw", {"both", "transient", "permanent"}, "both"),
       number_param("weibull_shape", "",
                    "Weibull shape beta of the permanent-fault hazard: 1 constant rate, < 1 "
                    "early-life (0.7 estimate after Sridharan SC13's declining hazard [E]), > 1 "
                    "wear-out",
                    0.1, 10.0, 1.0, true),
       number_param("weibull_reference_s", "s",
                    "life over which the table's FIT rates hold on average under the Weibull "
                    "hazard (FaultSim's 7-year mission)",
                    1.0, 1e12, 7.0 * 365.0 * 86400.0, false)},
      [](const ParamValues& v) {
        return std::make_unique<FieldFaults>(v.number("fit_scale"), v.text("kinds"),
                                             v.number("weibull_shape"),
                                             v.number("weibull_reference_s"));
      },
      true};
}

}  // namespace weightfault::memory
