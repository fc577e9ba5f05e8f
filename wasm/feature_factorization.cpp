#include "feature_factorization.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace dermcam {
namespace {

// Uniform [0, 1) from SplitMix64, as Random-CAM draws its weights.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  double next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
  }

 private:
  uint64_t state_;
};

constexpr uint64_t kSeed = 20181008;
constexpr int kMaxSweeps = 500;
constexpr double kTolerance = 1e-5;
constexpr double kFloor = 1e-12;  // HALS keeps factors strictly usable (a zero column would stay zero)

// The Gram matrix of a row-major (rows x length) matrix's rows (H H^T), or, with `columns`, of a row-major
// (length x rows) matrix's columns (W^T W): rows x rows.
std::vector<double> gram(const std::vector<double>& m, int rows, int length, bool columns = false) {
  std::vector<double> out(static_cast<size_t>(rows) * rows);
  for (int a = 0; a < rows; ++a) {
    for (int b = 0; b < rows; ++b) {
      double s = 0;
      for (int i = 0; i < length; ++i) {
        s += columns ? m[static_cast<size_t>(i) * rows + a] * m[static_cast<size_t>(i) * rows + b]
                     : m[static_cast<size_t>(a) * length + i] * m[static_cast<size_t>(b) * length + i];
      }
      out[static_cast<size_t>(a) * rows + b] = s;
    }
  }
  return out;
}

// ||X - W H||_F^2 from the Gram form: ||X||^2 - 2 <W^T X, H> + <W^T W, H H^T>.
double squared_error(double x_norm2, const std::vector<double>& wtx, const std::vector<double>& h,
                     const std::vector<double>& wtw, int k, int positions) {
  double cross = 0;
  for (size_t i = 0; i < wtx.size(); ++i) cross += wtx[i] * h[i];
  const std::vector<double> hht = gram(h, k, positions);
  double quad = 0;
  for (size_t i = 0; i < hht.size(); ++i) quad += wtw[i] * hht[i];
  return std::max(0.0, x_norm2 - 2 * cross + quad);
}

}  // namespace

Result<FeatureFactorization> factorize_features(const std::vector<float>& activations, int channels, int positions,
                                                int concepts) {
  if (channels < 1 || positions < 1 ||
      static_cast<double>(channels) * positions != static_cast<double>(activations.size())) {
    return Error{ErrorCode::kInvalidArgument, "The activations do not match their channels and positions."};
  }
  if (concepts < 1 || concepts > std::min({kMaxConcepts, channels, positions})) {
    return Error{ErrorCode::kInvalidArgument,
                 "The number of concepts must be 1 to 16, and at most the layer's "
                 "channels and positions."};
  }
  const int k = concepts;
  // X = A - offset, offset = each channel's minimum over the positions.
  std::vector<double> x(activations.begin(), activations.end());
  std::vector<double> offset(channels);
  double x_norm2 = 0, x_sum = 0;
  for (int c = 0; c < channels; ++c) {
    double* row = &x[static_cast<size_t>(c) * positions];
    offset[c] = *std::min_element(row, row + positions);
    for (int i = 0; i < positions; ++i) {
      row[i] -= offset[c];
      x_norm2 += row[i] * row[i];
      x_sum += row[i];
    }
  }
  std::vector<double> w(static_cast<size_t>(channels) * k);   // channels x k
  std::vector<double> h(static_cast<size_t>(k) * positions);  // k x positions
  SplitMix64 random(kSeed);
  const double scale = std::sqrt(x_sum / (static_cast<double>(channels) * positions) / k);
  for (double& v : h) v = scale * random.next() + kFloor;
  for (double& v : w) v = scale * random.next() + kFloor;

  FeatureFactorization out;
  out.concepts = k;
  std::vector<double> xht(static_cast<size_t>(channels) * k), hht, wtw;
  std::vector<double> wtx(static_cast<size_t>(k) * positions);
  double previous = -1;
  for (int sweep = 1; sweep <= kMaxSweeps; ++sweep) {
    // W's columns, with H fixed: W_j <- max(floor, W_j + (X H^T - W H H^T)_j / (H H^T)_jj).
    for (int c = 0; c < channels; ++c) {
      for (int j = 0; j < k; ++j) {
        double s = 0;
        for (int i = 0; i < positions; ++i) s += x[static_cast<size_t>(c) * positions + i] * h[j * positions + i];
        xht[c * k + j] = s;
      }
    }
    hht = gram(h, k, positions);
    for (int j = 0; j < k; ++j) {
      const double d = std::max(hht[j * k + j], kFloor);
      for (int c = 0; c < channels; ++c) {
        double whht = 0;
        for (int b = 0; b < k; ++b) whht += w[c * k + b] * hht[b * k + j];
        w[c * k + j] = std::max(kFloor, w[c * k + j] + (xht[c * k + j] - whht) / d);
      }
    }
    // H's rows, with W fixed: H_j <- max(floor, H_j + (W^T X - W^T W H)_j / (W^T W)_jj).
    for (int j = 0; j < k; ++j) {
      for (int i = 0; i < positions; ++i) wtx[j * positions + i] = 0;
      for (int c = 0; c < channels; ++c) {
        const double wc = w[c * k + j];
        const double* row = &x[static_cast<size_t>(c) * positions];
        for (int i = 0; i < positions; ++i) wtx[j * positions + i] += wc * row[i];
      }
    }
    wtw = gram(w, k, channels, /*columns=*/true);
    for (int j = 0; j < k; ++j) {
      const double d = std::max(wtw[j * k + j], kFloor);
      for (int i = 0; i < positions; ++i) {
        double wtwh = 0;
        for (int b = 0; b < k; ++b) wtwh += wtw[j * k + b] * h[b * positions + i];
        h[j * positions + i] = std::max(kFloor, h[j * positions + i] + (wtx[j * positions + i] - wtwh) / d);
      }
    }
    const double error = std::sqrt(squared_error(x_norm2, wtx, h, wtw, k, positions) / std::max(x_norm2, kFloor));
    out.sweeps = sweep;
    out.relative_error = error;
    if (previous >= 0 && previous - error < kTolerance * std::max(previous, kFloor)) break;
    previous = error;
  }

  // Each map's maximum 1 (W scaled inversely: its column is then the layer's values where the part is fully
  // present), parts ordered by their maps' mass.
  for (int j = 0; j < k; ++j) {
    const double peak = *std::max_element(h.begin() + j * positions, h.begin() + (j + 1) * positions);
    if (!(peak > 0)) continue;
    for (int c = 0; c < channels; ++c) w[c * k + j] *= peak;
    for (int i = 0; i < positions; ++i) h[j * positions + i] /= peak;
  }
  std::vector<double> mass(k, 0.0);
  for (int j = 0; j < k; ++j)
    for (int i = 0; i < positions; ++i) mass[j] += h[j * positions + i];
  std::vector<int> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return mass[a] > mass[b]; });
  out.maps.resize(static_cast<size_t>(k) * positions);
  out.embeddings.resize(static_cast<size_t>(k) * channels);
  for (int r = 0; r < k; ++r) {
    const int j = order[r];
    for (int i = 0; i < positions; ++i) out.maps[static_cast<size_t>(r) * positions + i] = h[j * positions + i];
    for (int c = 0; c < channels; ++c) out.embeddings[static_cast<size_t>(r) * channels + c] = w[c * k + j] + offset[c];
  }
  return out;
}

}  // namespace dermcam
