// First-principal-component projection of a (channels x positions) matrix: what Eigen-CAM and
// eigen_smooth compute, equal to pytorch-grad-cam's get_2d_projection up to sign.
//
// Input M, channel-major (M[k * positions + i]). Treating each position as a sample of `channels` features,
// the features are centred (mean over positions removed), X = centred M^T (positions x channels), and the
// result is X v1 with v1 X's first right-singular vector: one value per position.
//
// Computed as sqrt(lambda1) u1 from the smaller of the two Gram matrices (X X^T or X^T X), by power
// iteration in double precision until the vector moves less than 1e-12 (at most 5000 iterations; when the
// top two singular values are equal the principal direction itself is not defined).
//
// Sign: an SVD's sign is arbitrary (pytorch-grad-cam leaves it to LAPACK). Here the projection's
// largest-magnitude value is made positive, so the strongest response is always the hottest point.
// An all-zero centred matrix gives all zeros. Non-finite inputs are treated as 0, as pytorch-grad-cam does.
#pragma once

#include <vector>

namespace dermcam {

// Unit top eigenvector of a symmetric n x n matrix (row-major) whose largest eigenvalue is also its largest in
// magnitude (positive semi-definite, or shifted to be), by power iteration started from the column with the
// largest diagonal, in the same tolerance and iteration limit. *eigenvalue = |M v| (the eigenvalue for such a
// matrix); a zero matrix gives a zero vector and eigenvalue 0.
std::vector<double> top_eigenvector(const std::vector<double>& matrix, int n, double* eigenvalue);

std::vector<double> first_principal_component_projection(const std::vector<double>& matrix, int channels,
                                                         int positions);

}  // namespace dermcam
