// Deep Feature Factorization (Collins, Achanta and Süsstrunk, "Deep Feature Factorization for Concept Discovery",
// ECCV 2018), as pytorch-grad-cam's DeepFeatureFactorization computes it: a target layer's activations, shifted
// per channel so its minimum over the positions is 0, are factorised by non-negative matrix factorisation into
// `concepts` parts, A - offset ~= W H, W (channels x k) >= 0, H (k x positions) >= 0. Row j of H is concept j's
// map (where it is present); column j of W plus the offset is its embedding (what the layer holds there), which
// the pipeline runs through the model's head to learn the classes each concept supports.
//
// Input: activations channel-major, activations[c * positions + i], c < channels, i < positions (row-major over
// height x width), all finite (the pipeline checks). 1 <= concepts <= min(16, channels, positions).
//
// Solver: hierarchical alternating least squares (Cichocki and Phan 2009), the coordinate-descent updates
// scikit-learn's NMF ('cd', the default pytorch-grad-cam uses) also makes, from a deterministic start (each
// factor's entries drawn from a SplitMix64 stream seeded 20181008, scaled by sqrt(mean / k) as scikit-learn's
// 'random' init scales them), until the relative reconstruction error improves by less than 1e-5 (at most 500
// sweeps). NMF is unique only up to the order and scale of its parts: each map is scaled to a maximum of 1 (its W
// column inversely, so the embedding is the layer's values where the part is fully present) and the parts are
// ordered by the mass of their maps (largest first). Doubles throughout;
// native and wasm give the same bits (no contraction, the same operation order).
#pragma once

#include <vector>

#include "error.h"

namespace dermcam {

struct FeatureFactorization {
  int concepts = 0;
  std::vector<double> maps;        // concepts x positions: H, each concept's presence at each position, in [0, 1]
  std::vector<double> embeddings;  // concepts x channels: W^T plus the per-channel offset (the layer's values)
  int sweeps = 0;                  // HALS sweeps made
  double relative_error = 0;       // ||A - offset - W H||_F / ||A - offset||_F
};

constexpr int kMaxConcepts = 16;

// ErrorCode::kInvalidArgument for a count out of range or a size that does not match.
Result<FeatureFactorization> factorize_features(const std::vector<float>& activations, int channels, int positions,
                                                int concepts);

}  // namespace dermcam
