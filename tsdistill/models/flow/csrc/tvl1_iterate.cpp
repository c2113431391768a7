// Copyright (c) tsdistill authors. All rights reserved.
//
// M1's TV-L1 iterations around one linearisation
// (TVL1OpticalFlow._iterate_eager with the fixed differences) as one
// fused CPU loop; loaded by fused.py.
//
// The arithmetic is _iterate_eager's, operation for operation and in the
// same order, in float32. The results still differ in the last bits:
// torch's CPU kernels fuse the multiply-adds of addcmul and of add with
// alpha (one rounding instead of two), and its sqrt (MKL) is not always
// correctly rounded. Emulating those FMAs here and taking a correctly
// rounded sqrt in the eager path gave a bit-identical flow over a full M1
// forward; the kernel keeps the plain, portable arithmetic (twice as fast
// as the emulation).
//
// Per image and per iteration, one sweep over the rows, skewed by one row:
// row i of u, then row i - 1 of q. Row i of u reads q of rows i and i - 1
// from the previous iteration (the divergence's left / upper neighbours),
// which are not updated yet; row i - 1 of q reads u of rows i - 1 and i
// from this iteration (the forward differences' right / lower
// neighbours), which are. So the sweep computes what two full passes
// would, in place, with the working rows in cache.
#include <ATen/Parallel.h>
#include <torch/extension.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

struct Params {
  int64_t h, w;
  float l_t;        // lambda * theta (threshold of the step)
  float tau;        // dual time step
  float tau_theta;  // tau / theta
  float norm_eps;   // added to |grad u|^2 before the square root
};

// u = v + div q on a row of one flow channel, with
// v = u - clamp(rho / |grad I1|^2, -l_t, l_t) g (step[] holds the clamp)
// and div q = q_x + q_y - q_x(left) - q_y(up), p(-1) = 0: nothing is
// subtracted on the first column / row (q_y_up null), as in divergence().
inline void u_row(float* __restrict__ u, const float* __restrict__ g,
                  const float* __restrict__ step,
                  const float* __restrict__ q_x,
                  const float* __restrict__ q_y,
                  const float* __restrict__ q_y_up, int64_t w) {
  // j = 0: no left neighbour
  {
    float v = u[0] - g[0] * step[0];
    float div = q_x[0] + q_y[0];
    if (q_y_up != nullptr) div -= q_y_up[0];
    u[0] = v + div;
  }
  if (q_y_up != nullptr) {
    for (int64_t j = 1; j < w; ++j) {
      float v = u[j] - g[j] * step[j];
      float div = q_x[j] + q_y[j];
      div -= q_x[j - 1];
      div -= q_y_up[j];
      u[j] = v + div;
    }
  } else {
    for (int64_t j = 1; j < w; ++j) {
      float v = u[j] - g[j] * step[j];
      float div = q_x[j] + q_y[j];
      div -= q_x[j - 1];
      u[j] = v + div;
    }
  }
}

// q = (q + tau grad u) / (1 + tau/theta |grad u|) at one pixel of one
// flow channel, grad u = (right - u, down - u).
inline void q_update(float u, float right, float down, float* q_x,
                     float* q_y, const Params& p) {
  const float du_x = right - u;
  const float du_y = down - u;
  // |grad u| (+ NORM_EPS)
  float norm_sq = du_x * du_x;
  norm_sq = norm_sq + du_y * du_y;
  const float norm = std::sqrt(norm_sq + p.norm_eps);
  const float shrink = 1.0f / (norm * p.tau_theta + 1.0f);
  *q_x = (*q_x + p.tau * du_x) * shrink;
  *q_y = (*q_y + p.tau * du_y) * shrink;
}

// q_update on a row. Forward differences with the last row / column
// replicated, as in forward_gradient(): u_down = u on the last row,
// u(j+1) = u(j) on the last column (a difference of 0).
inline void q_row(const float* __restrict__ u,
                  const float* __restrict__ u_down, float* __restrict__ q_x,
                  float* __restrict__ q_y, int64_t w, const Params& p) {
  for (int64_t j = 0; j + 1 < w; ++j) {
    q_update(u[j], u[j + 1], u_down[j], q_x + j, q_y + j, p);
  }
  // last column: u(j+1) replicated, a difference of 0
  q_update(u[w - 1], u[w - 1], u_down[w - 1], q_x + w - 1, q_y + w - 1, p);
}

// All iterations for one image: u (2, h, w), q_x (2, h, w), q_y (2, h, w)
// in place; rho_c (h, w), g (2, h, w), inv_grad_sq (h, w).
void iterate_image(float* u, float* q_x, float* q_y, const float* rho_c,
                   const float* g, const float* inv_grad_sq,
                   int64_t num_iters, const Params& p,
                   std::vector<float>& step) {
  const int64_t h = p.h, w = p.w, hw = h * w;
  float* u0 = u;
  float* u1 = u + hw;
  const float* g0 = g;
  const float* g1 = g + hw;
  for (int64_t it = 0; it < num_iters; ++it) {
    for (int64_t i = 0; i <= h; ++i) {
      if (i < h) {
        const int64_t r = i * w;
        // rho = rho_c + grad I1 . u; the step of the thresholding
        for (int64_t j = 0; j < w; ++j) {
          float rho = rho_c[r + j] + g0[r + j] * u0[r + j];
          rho = rho + g1[r + j] * u1[r + j];
          const float s = rho * inv_grad_sq[r + j];
          step[j] = std::min(std::max(s, -p.l_t), p.l_t);
        }
        for (int64_t c = 0; c < 2; ++c) {
          const int64_t o = c * hw + r;
          u_row(u + o, g + o, step.data(), q_x + o, q_y + o,
                i > 0 ? q_y + o - w : nullptr, w);
        }
      }
      if (i > 0) {
        const int64_t r = (i - 1) * w;
        const int64_t down = i < h ? w : 0;
        for (int64_t c = 0; c < 2; ++c) {
          const int64_t o = c * hw + r;
          q_row(u + o, u + o + down, q_x + o, q_y + o, w, p);
        }
      }
    }
  }
}

void check(const at::Tensor& t, const char* name, int64_t channels,
           const at::Tensor& u) {
  TORCH_CHECK(t.device().is_cpu(), "tvl1_iterate_: ", name,
              " must be a CPU tensor");
  TORCH_CHECK(t.scalar_type() == at::kFloat, "tvl1_iterate_: ", name,
              " must be float32, got ", t.scalar_type());
  TORCH_CHECK(t.is_contiguous(), "tvl1_iterate_: ", name,
              " must be contiguous");
  TORCH_CHECK(t.dim() == 4 && t.size(0) == u.size(0) &&
                  t.size(1) == channels && t.size(2) == u.size(2) &&
                  t.size(3) == u.size(3),
              "tvl1_iterate_: ", name, " must be (B, ", channels,
              ", h, w) with u's B, h, w; got ", t.sizes());
}

}  // namespace

// num_iters TV-L1 iterations in place on u, q_x, q_y; see tvl1.py.
void tvl1_iterate_(at::Tensor u, at::Tensor q_x, at::Tensor q_y,
                   const at::Tensor& rho_c, const at::Tensor& g,
                   const at::Tensor& inv_grad_sq, double l_t, double tau,
                   double tau_theta, double norm_eps, int64_t num_iters) {
  TORCH_CHECK(u.dim() == 4 && u.size(1) == 2,
              "tvl1_iterate_: u must be (B, 2, h, w), got ", u.sizes());
  check(u, "u", 2, u);
  check(q_x, "q_x", 2, u);
  check(q_y, "q_y", 2, u);
  check(rho_c, "rho_c", 1, u);
  check(g, "g", 2, u);
  check(inv_grad_sq, "inv_grad_sq", 1, u);
  TORCH_CHECK(num_iters >= 0, "tvl1_iterate_: num_iters must be >= 0");
  const int64_t b = u.size(0), h = u.size(2), w = u.size(3), hw = h * w;
  if (b == 0 || hw == 0 || num_iters == 0) return;
  // the scalars as torch casts a Python float for a float32 tensor
  const Params p{h,
                 w,
                 static_cast<float>(l_t),
                 static_cast<float>(tau),
                 static_cast<float>(tau_theta),
                 static_cast<float>(norm_eps)};
  float* u_ptr = u.data_ptr<float>();
  float* q_x_ptr = q_x.data_ptr<float>();
  float* q_y_ptr = q_y.data_ptr<float>();
  const float* rho_c_ptr = rho_c.data_ptr<float>();
  const float* g_ptr = g.data_ptr<float>();
  const float* inv_ptr = inv_grad_sq.data_ptr<float>();
  // images are independent: one per task
  at::parallel_for(0, b, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> step(static_cast<size_t>(w));
    for (int64_t n = begin; n < end; ++n) {
      iterate_image(u_ptr + n * 2 * hw, q_x_ptr + n * 2 * hw,
                    q_y_ptr + n * 2 * hw, rho_c_ptr + n * hw,
                    g_ptr + n * 2 * hw, inv_ptr + n * hw, num_iters, p,
                    step);
    }
  });
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("tvl1_iterate_", &tvl1_iterate_,
        "TV-L1 iterations of M1, in place on u, q_x, q_y (CPU, float32)");
}
