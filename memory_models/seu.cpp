// seu: single-event upsets from particle strikes (neutrons, alphas).
//
// Events form a Poisson process in simulated time with rate
//   lambda(t) [1/s] = fit_per_mbit * flux_factor * F_alt(altitude(t)) * flux(t)
//                     * exp((vdd_reference_v - vdd(t)) / low_voltage_slope_v)
//                     * (bits / 2^20) / 3.6e12
// (1 FIT = one failure per 10^9 device-hours; FIT/Mbit per JESD89A at the
// New York City sea-level flux; F_alt by JESD89A Annex A; the voltage term is
// the Hazucha-Svensson critical-charge form; docs/physics.md). Arrivals with a
// time-varying rate are drawn by thinning: candidates at the peak rate, each
// kept with probability lambda(t) / peak.
//
// Each event upsets a cluster of cells (a multi-cell upset, MCU): size S = 1
// with probability 1 - mcu_fraction, else S = k >= 2 with probability
// mcu_fraction (1 - r) r^(k-2), truncated at mcu_max_bits. The cluster grows
// on the device's physical cell grid (memory_models/cell_grid.h) by steps to
// a neighbour of a random member, along the bitline (same column, next row)
// with probability bitline_bias, else along the wordline; column interleaving
// then spreads wordline neighbours over different words. A flip stays until
// its word is rewritten (sim/ sets the clear time from the rewrite interval).
#include <algorithm>
#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <vector>

#include "memory_models/cell_grid.h"
#include "memory_models/fault_model.h"

namespace weightfault::memory {
namespace {

constexpr double kBitsPerMbit = 1048576.0;          // 2^20
constexpr double kSecondsPerBillionHours = 3.6e12;  // 10^9 h * 3600 s/h

struct SeuParams {
  double fit_per_mbit = 0.0;
  double flux_factor = 1.0;
  double mcu_fraction = 0.0;
  double mcu_ratio = 0.3;
  std::uint64_t mcu_max_bits = 16;
  double bitline_bias = 0.7;
  std::uint64_t interleave = 4;
  double vdd_reference_v = 0.9;  // the SRAM nominal supply (sram_cell vdd_nominal_v)
  double low_voltage_slope_v = 0.25;
};

class Seu final : public FaultModel {
 public:
  explicit Seu(SeuParams p) : p_(p) {}

  void generate(const FaultModelContext& ctx, Rng& rng, FaultMap& sink) const override {
    if (ctx.extent_bits == 0 || !(ctx.t1_s > ctx.t0_s)) return;
    const double peak = peak_multiplier(ctx.env());
    const double candidates_mean = base_rate_per_s(ctx) * peak * (ctx.t1_s - ctx.t0_s);
    if (!(candidates_mean > 0.0)) return;
    boost::random::poisson_distribution<std::uint64_t, double> count(candidates_mean);
    boost::random::uniform_int_distribution<std::uint64_t> where(0, ctx.extent_bits - 1);
    boost::random::uniform_real_distribution<double> when(ctx.t0_s, ctx.t1_s);
    boost::random::uniform_real_distribution<double> unit(0.0, 1.0);
    const std::uint64_t candidates = count(rng);
    for (std::uint64_t e = 0; e < candidates; ++e) {
      const std::uint64_t bit = where(rng);
      const double onset_s = when(rng);
      if (peak > 1.0 && unit(rng) * peak >= multiplier_at(ctx.env(), onset_s)) continue;
      const std::uint64_t size = cluster_size(rng);
      if (size == 1) {
        sink.add(BitFault{bit, FaultKind::flip, ctx.model_index, onset_s, kNever});
        continue;
      }
      for (const std::uint64_t cell : grow_cluster(ctx.mapping, bit, size, rng)) {
        if (cell < ctx.extent_bits)
          sink.add(BitFault{cell, FaultKind::flip, ctx.model_index, onset_s, kNever});
      }
    }
  }

  // Expected upset events (clusters), not cells: mean cells = events * mean_cluster_size().
  double expected_faults(const FaultModelContext& ctx) const override {
    const Environment& env = ctx.env();
    const double a = ctx.t0_s, b = ctx.t1_s;
    const int varying = !env.altitude_m.is_constant() + !env.flux_factor.is_constant() +
                        (env.vdd_v && !env.vdd_v->is_constant());
    double integral = 0.0;
    if (varying <= 1) {
      // One profile varies: integrate it exactly, the others are constants.
      const double alt = altitude_flux_factor(env.altitude_m.global_max());
      const double flux = env.flux_factor.global_max();
      const double volt = voltage_factor(env.vdd_v ? env.vdd_v->global_max() : p_.vdd_reference_v);
      if (!env.altitude_m.is_constant()) {
        integral = flux * volt * env.altitude_m.integral(a, b, altitude_flux_factor);
      } else if (!env.flux_factor.is_constant()) {
        integral = alt * volt * env.flux_factor.integral(a, b, [](double v) { return v; });
      } else if (env.vdd_v && !env.vdd_v->is_constant()) {
        integral =
            alt * flux * env.vdd_v->integral(a, b, [&](double v) { return voltage_factor(v); });
      } else {
        integral = alt * flux * volt * (b - a);
      }
    } else {
      constexpr int kSteps = 200000;  // midpoint rule over the product of profiles
      const double h = (b - a) / kSteps;
      for (int i = 0; i < kSteps; ++i) integral += multiplier_at(env, a + (i + 0.5) * h) * h;
    }
    return base_rate_per_s(ctx) * integral;
  }

  // Upset cells still flipped at t: events since the last rewrite times the mean cluster size.
  double expected_active(const FaultModelContext& ctx, double t_s) const override {
    FaultModelContext since = ctx;
    since.t0_s = ctx.last_write_at_or_before(t_s);
    since.t1_s = t_s;
    return expected_faults(since) * mean_cluster_size();
  }

  double mean_cluster_size() const {
    // P(S = k) = f (1 - r) r^(k-2) for 2 <= k < max, the rest of the tail at max.
    double mean = 1.0 - p_.mcu_fraction, p_k = p_.mcu_fraction * (1.0 - p_.mcu_ratio);
    double rest = p_.mcu_fraction;
    for (std::uint64_t k = 2; k < p_.mcu_max_bits; ++k, p_k *= p_.mcu_ratio) {
      mean += static_cast<double>(k) * p_k;
      rest -= p_k;
    }
    return mean + static_cast<double>(p_.mcu_max_bits) * rest;
  }

 private:
  double base_rate_per_s(const FaultModelContext& ctx) const {
    return p_.fit_per_mbit * p_.flux_factor *
           (static_cast<double>(ctx.extent_bits) / kBitsPerMbit) / kSecondsPerBillionHours;
  }
  double voltage_factor(double vdd_v) const {
    return std::exp((p_.vdd_reference_v - vdd_v) / p_.low_voltage_slope_v);
  }
  double multiplier_at(const Environment& env, double t_s) const {
    return altitude_flux_factor(env.altitude_m.at(t_s)) * env.flux_factor.at(t_s) *
           (env.vdd_v ? voltage_factor(env.vdd_v->at(t_s)) : 1.0);
  }
  // Upper bound of multiplier_at over all time (thinning envelope).
  double peak_multiplier(const Environment& env) const {
    return altitude_flux_factor(env.altitude_m.global_max()) * env.flux_factor.global_max() *
           (env.vdd_v ? voltage_factor(env.vdd_v->global_min()) : 1.0);
  }

  std::uint64_t cluster_size(Rng& rng) const {
    boost::random::bernoulli_distribution<double> mcu(p_.mcu_fraction);
    if (p_.mcu_fraction <= 0.0 || !mcu(rng)) return 1;
    boost::random::bernoulli_distribution<double> grow(p_.mcu_ratio);
    std::uint64_t size = 2;
    while (size < p_.mcu_max_bits && grow(rng)) ++size;
    return size;
  }

  std::vector<std::uint64_t> grow_cluster(const AddressMapping& mapping, std::uint64_t seed_bit,
                                          std::uint64_t size, Rng& rng) const {
    const Geometry& g = mapping.geometry();
    const CellGrid grid{p_.interleave};
    const PhysicalAddress origin = mapping.to_physical(seed_bit);
    const std::int64_t width = static_cast<std::int64_t>(grid.cells_per_row(g));
    const std::int64_t rows = static_cast<std::int64_t>(g.rows);
    struct Cell {
      std::int64_t row, x;
      bool operator==(const Cell&) const = default;
    };
    std::vector<Cell> cells{{static_cast<std::int64_t>(origin.get(Field::row)),
                             static_cast<std::int64_t>(grid.x_of(origin, g))}};
    boost::random::bernoulli_distribution<double> along_bitline(p_.bitline_bias);
    boost::random::bernoulli_distribution<double> forward(0.5);
    // Off-grid steps are retried; a bounded number of attempts keeps tiny arrays finite.
    for (int attempt = 0; cells.size() < size && attempt < 64 * static_cast<int>(size); ++attempt) {
      boost::random::uniform_int_distribution<std::size_t> member(0, cells.size() - 1);
      Cell next = cells[member(rng)];
      const std::int64_t step = forward(rng) ? 1 : -1;
      if (along_bitline(rng))
        next.row += step;
      else
        next.x += step;
      if (next.row < 0 || next.row >= rows || next.x < 0 || next.x >= width) continue;
      if (std::find(cells.begin(), cells.end(), next) != cells.end()) continue;
      cells.push_back(next);
    }
    std::vector<std::uint64_t> out;
    for (const auto& c : cells) {
      PhysicalAddress a = origin;
      a.set(Field::row, static_cast<std::uint64_t>(c.row));
      if (const auto at = grid.at_x(a, static_cast<std::uint64_t>(c.x), g))
        out.push_back(mapping.to_linear(*at));
    }
    return out;
  }

  SeuParams p_;
};

}  // namespace

FaultModelInfo seu_info() {
  return {
      "seu",
      "single-event upsets: Poisson arrivals at FIT/Mbit x flux (altitude, flux profile, low "
      "supply voltage), multi-cell clusters on the physical cell grid with column interleaving",
      {number_param("fit_per_mbit", "FIT/Mbit",
                    "soft-error rate at the reference flux (failures per 1e9 h per 2^20 bits); "
                    "e.g. 66 for 28 nm SRAM, 20 for 16 nm FinFET (Xilinx UG116, secondary; "
                    "docs/physics.md)",
                    0.0, 1e12, std::nullopt, true),
       number_param("flux_factor", "",
                    "particle flux relative to New York City sea level (JESD89A); multiplies the "
                    "environment's altitude and flux profiles",
                    0.0, 1e6, 1.0, true),
       number_param("mcu_fraction", "",
                    "fraction of events that upset more than one cell (estimate: 0.2 for 28-65 nm "
                    "planar, 0.05 FinFET; Ibe 2010 [R])",
                    0.0, 1.0, 0.0, true),
       number_param("mcu_ratio", "",
                    "geometric ratio r of cluster sizes >= 2: P(S=k) ~ r^(k-2) (estimate 0.3 "
                    "planar, 0.1 FinFET [E])",
                    0.0, 0.99, 0.3, true),
       number_param("mcu_max_bits", "cells", "largest cluster (16 planar, 3 FinFET; Sakamoto 2025)",
                    2.0, 256.0, 16.0, false),
       number_param("bitline_bias", "",
                    "probability that a cluster grows along the bitline (same column) rather than "
                    "the wordline (0.7 FinFET, Sakamoto 2025 qualitative [E])",
                    0.0, 1.0, 0.7, true),
       number_param("interleave", "words",
                    "column interleaving: words whose same bits sit side by side on a wordline "
                    "(4:1 typical SRAM [E]); 1 = adjacent cells are adjacent bits of one word",
                    1.0, 64.0, 4.0, true),
       number_param("vdd_reference_v", "V",
                    "supply voltage at which fit_per_mbit holds (used when the environment gives "
                    "vdd_v; 0.9 V, the SRAM nominal of sram_cell [E])",
                    0.1, 5.0, 0.9, false),
       number_param("low_voltage_slope_v", "V",
                    "SER grows by e per this much supply reduction: exp((V0 - V) / slope) "
                    "(Hazucha & Svensson 2000 form [R/E])",
                    0.01, 10.0, 0.25, false)},
      [](const ParamValues& v) {
        SeuParams p;
        p.fit_per_mbit = v.number("fit_per_mbit");
        p.flux_factor = v.number("flux_factor");
        p.mcu_fraction = v.number("mcu_fraction");
        p.mcu_ratio = v.number("mcu_ratio");
        p.mcu_max_bits = static_cast<std::uint64_t>(v.number("mcu_max_bits"));
        p.bitline_bias = v.number("bitline_bias");
        p.interleave = static_cast<std::uint64_t>(v.number("interleave"));
        p.vdd_reference_v = v.number("vdd_reference_v");
        p.low_voltage_slope_v = v.number("low_voltage_slope_v");
        return std::make_unique<Seu>(p);
      },
      true};
}

}  // namespace weightfault::memory
