// Copyright (c) tsdistill authors. All rights reserved.
//
// M1's TV-L1 on one pyramid level as fused CPU loops; loaded by fused.py.
// Two entries:
//
// - tvl1_warps_: all warps of one level (TVL1OpticalFlow._one_scale
//   without the median filter): per warp, the linearisation of I1 around
//   the current flow (I1 and its gradient sampled bilinearly at x + u,
//   the coordinate clamped to the image, as warping.warp's grid_sample
//   with padding_mode='border' and align_corners=True, but in pixel
//   units; then |grad I1|^-2 and the residual's constant part), then the
//   iterations. One OpenMP region per call, images dynamically
//   scheduled: a thread slowed by another process takes fewer images.
// - tvl1_iterate_: the iterations around one given linearisation
//   (TVL1OpticalFlow._iterate), images statically split over
//   at::parallel_for; the tests and `python -m tsdistill.models.flow.fused`
//   compare it with the eager ops.
//
// The arithmetic is the eager path's, operation for operation and in the
// same order, in float32. The results still differ in the last bits:
// torch's CPU kernels fuse the multiply-adds of addcmul and of add with
// alpha (one rounding instead of two), and its sqrt (MKL) is not always
// correctly rounded. Emulating those FMAs here and taking a correctly
// rounded sqrt in the eager path gave a bit-identical flow over a full M1
// forward (with the iterations alone in C++); the kernel keeps the plain,
// portable arithmetic (twice as fast as the emulation). The sampling
// coordinate is x + u here, not grid_sample's round trip through [-1, 1],
// which rounds differently.
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

#ifdef _OPENMP
#include <omp.h>
#endif

// The loops over pixels are compiled twice, for AVX2 (8 floats a vector)
// and for any x86-64 CPU (SSE2, 4 floats), and the loader picks the
// clone the CPU runs (GCC's and clang's function multiversioning, an
// ifunc). A wider vector changes no result: without contraction into
// FMAs, every lane computes the same correctly rounded float operations,
// and the flow was torch.equal to the SSE2 build's. On an AVX2 CPU, one
// thread, a 25-frame 112x112 clip took 36 % less CPU time. The build stays
// portable: an extension folder shared by machines with other CPUs holds
// code every one of them runs.
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TSDISTILL_PIXEL_LOOPS __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef TSDISTILL_PIXEL_LOOPS
#define TSDISTILL_PIXEL_LOOPS
#endif

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
// in place; rho_c (h, w), g (2, h, w), inv_grad_sq (h, w); step: scratch
// of w floats.
TSDISTILL_PIXEL_LOOPS
void iterate_image(float* u, float* q_x, float* q_y, const float* rho_c,
                   const float* g, const float* inv_grad_sq,
                   int64_t num_iters, const Params& p, float* step) {
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
          u_row(u + o, g + o, step, q_x + o, q_y + o,
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

void check(const char* fn, const at::Tensor& t, const char* name,
           int64_t channels, const at::Tensor& u) {
  TORCH_CHECK(t.device().is_cpu(), fn, ": ", name, " must be a CPU tensor");
  TORCH_CHECK(t.scalar_type() == at::kFloat, fn, ": ", name,
              " must be float32, got ", t.scalar_type());
  TORCH_CHECK(t.is_contiguous(), fn, ": ", name, " must be contiguous");
  TORCH_CHECK(t.dim() == 4 && t.size(0) == u.size(0) &&
                  t.size(1) == channels && t.size(2) == u.size(2) &&
                  t.size(3) == u.size(3),
              fn, ": ", name, " must be (B, ", channels,
              ", h, w) with u's B, h, w; got ", t.sizes());
}

void check_state(const char* fn, const at::Tensor& u, const at::Tensor& q_x,
                 const at::Tensor& q_y) {
  TORCH_CHECK(u.dim() == 4 && u.size(1) == 2, fn,
              ": u must be (B, 2, h, w), got ", u.sizes());
  check(fn, u, "u", 2, u);
  check(fn, q_x, "q_x", 2, u);
  check(fn, q_y, "q_y", 2, u);
}

// Linearise I1 around the flow u (2, h, w) of one image: with I1, d/dx I1,
// d/dy I1 (i1_and_grad, 3 x (h, w)) sampled at x + u, g (2, h, w) = the
// sampled gradient, inv_grad_sq (h, w) = 1 / (|g|^2 + eps) and rho_c (h, w)
// = I1(x + u) - g . u - I0, in _one_scale's order of operations.
//
// The sampling is warping.warp's grid_sample (bilinear, border padding,
// align_corners=True) in pixel units: the coordinate is clamped to
// [0, w - 1] x [0, h - 1] (NaN to 0), and the corner weights are torch's
// CPU kernel's, (1 - dy)(1 - dx), (1 - dy) dx, dy (1 - dx), dy dx, summed
// in that order. On the last column (row) the right (lower) neighbour has
// weight 0 and is read at the column (row) itself, not past the image.
TSDISTILL_PIXEL_LOOPS
void linearise_image(const float* u, const float* i0,
                     const float* i1_and_grad, float* g, float* inv_grad_sq,
                     float* rho_c, float eps, int64_t h, int64_t w) {
  const int64_t hw = h * w;
  const float* i1 = i1_and_grad;
  const float* i1_x = i1_and_grad + hw;
  const float* i1_y = i1_and_grad + 2 * hw;
  const float* u_x = u;
  const float* u_y = u + hw;
  const float x_max = static_cast<float>(w - 1);
  const float y_max = static_cast<float>(h - 1);
  for (int64_t i = 0; i < h; ++i) {
    for (int64_t j = 0; j < w; ++j) {
      const int64_t k = i * w + j;
      float x = static_cast<float>(j) + u_x[k];
      float y = static_cast<float>(i) + u_y[k];
      // clamp, NaN to 0 (the comparisons are false)
      x = x > 0.0f ? x : 0.0f;
      x = x < x_max ? x : x_max;
      y = y > 0.0f ? y : 0.0f;
      y = y < y_max ? y : y_max;
      const float x_w = std::floor(x);
      const float y_n = std::floor(y);
      const int64_t c0 = static_cast<int64_t>(x_w);
      const int64_t r0 = static_cast<int64_t>(y_n);
      const int64_t c1 = c0 + 1 < w ? c0 + 1 : c0;
      const int64_t r1 = r0 + 1 < h ? r0 + 1 : r0;
      const float dx = x - x_w;
      const float dy = y - y_n;
      const float ex = 1.0f - dx;
      const float sy = 1.0f - dy;
      const float nw = sy * ex, ne = sy * dx, sw = dy * ex, se = dy * dx;
      const int64_t k_nw = r0 * w + c0, k_ne = r0 * w + c1;
      const int64_t k_sw = r1 * w + c0, k_se = r1 * w + c1;
      const float i1w =
          i1[k_nw] * nw + i1[k_ne] * ne + i1[k_sw] * sw + i1[k_se] * se;
      const float g_x = i1_x[k_nw] * nw + i1_x[k_ne] * ne +
                        i1_x[k_sw] * sw + i1_x[k_se] * se;
      const float g_y = i1_y[k_nw] * nw + i1_y[k_ne] * ne +
                        i1_y[k_sw] * sw + i1_y[k_se] * se;
      g[k] = g_x;
      g[hw + k] = g_y;
      // 1 / (g_x g_x + g_y g_y + eps)
      float grad_sq = g_x * g_x;
      grad_sq = grad_sq + g_y * g_y;
      inv_grad_sq[k] = 1.0f / (grad_sq + eps);
      // rho_c = i1w - g_x u_x - g_y u_y - i0
      float r = i1w - g_x * u_x[k];
      r = r - g_y * u_y[k];
      rho_c[k] = r - i0[k];
    }
  }
}

}  // namespace

// num_iters TV-L1 iterations in place on u, q_x, q_y; see tvl1.py.
void tvl1_iterate_(at::Tensor u, at::Tensor q_x, at::Tensor q_y,
                   const at::Tensor& rho_c, const at::Tensor& g,
                   const at::Tensor& inv_grad_sq, double l_t, double tau,
                   double tau_theta, double norm_eps, int64_t num_iters) {
  const char* fn = "tvl1_iterate_";
  check_state(fn, u, q_x, q_y);
  check(fn, rho_c, "rho_c", 1, u);
  check(fn, g, "g", 2, u);
  check(fn, inv_grad_sq, "inv_grad_sq", 1, u);
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
                    step.data());
    }
  });
}

// num_warps linearisations of I1 around u, each followed by num_iters
// TV-L1 iterations, in place on u, q_x, q_y; see tvl1.py's _one_scale.
// num_iters = 0 leaves everything unchanged (a linearisation alone has no
// output).
void tvl1_warps_(at::Tensor u, at::Tensor q_x, at::Tensor q_y,
                 const at::Tensor& i0, const at::Tensor& i1_and_grad,
                 double l_t, double tau, double tau_theta, double norm_eps,
                 double eps, int64_t num_warps, int64_t num_iters) {
  const char* fn = "tvl1_warps_";
  check_state(fn, u, q_x, q_y);
  check(fn, i0, "i0", 1, u);
  check(fn, i1_and_grad, "i1_and_grad", 3, u);
  TORCH_CHECK(num_warps >= 0, "tvl1_warps_: num_warps must be >= 0");
  TORCH_CHECK(num_iters >= 0, "tvl1_warps_: num_iters must be >= 0");
  const int64_t b = u.size(0), h = u.size(2), w = u.size(3), hw = h * w;
  if (b == 0 || hw == 0 || num_warps == 0 || num_iters == 0) return;
  // the scalars as torch casts a Python float for a float32 tensor
  const Params p{h,
                 w,
                 static_cast<float>(l_t),
                 static_cast<float>(tau),
                 static_cast<float>(tau_theta),
                 static_cast<float>(norm_eps)};
  const float eps_f = static_cast<float>(eps);
  float* u_ptr = u.data_ptr<float>();
  float* q_x_ptr = q_x.data_ptr<float>();
  float* q_y_ptr = q_y.data_ptr<float>();
  const float* i0_ptr = i0.data_ptr<float>();
  const float* i1_ptr = i1_and_grad.data_ptr<float>();
  // never more threads than images; at least one
  const int num_threads = static_cast<int>(
      std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), b)));
  // per thread: g (2 hw), inv_grad_sq (hw), rho_c (hw), step (w);
  // allocated here, outside the parallel region (which must not throw)
  const int64_t per_thread = 4 * hw + w;
  std::vector<float> scratch(static_cast<size_t>(num_threads * per_thread));
  float* scratch_ptr = scratch.data();
  // images are independent; dynamic: a thread that the OS gives less time
  // (a busy neighbour process) takes fewer of them. Each image's
  // arithmetic does not depend on the thread that runs it.
#pragma omp parallel for schedule(dynamic, 1) num_threads(num_threads)
  for (int64_t n = 0; n < b; ++n) {
#ifdef _OPENMP
    const int64_t thread = omp_get_thread_num();
#else
    const int64_t thread = 0;
#endif
    float* g = scratch_ptr + thread * per_thread;
    float* inv_grad_sq = g + 2 * hw;
    float* rho_c = inv_grad_sq + hw;
    float* step = rho_c + hw;
    float* u_n = u_ptr + n * 2 * hw;
    float* q_x_n = q_x_ptr + n * 2 * hw;
    float* q_y_n = q_y_ptr + n * 2 * hw;
    const float* i0_n = i0_ptr + n * hw;
    const float* i1_n = i1_ptr + n * 3 * hw;
    for (int64_t warp = 0; warp < num_warps; ++warp) {
      linearise_image(u_n, i0_n, i1_n, g, inv_grad_sq, rho_c, eps_f, h, w);
      iterate_image(u_n, q_x_n, q_y_n, rho_c, g, inv_grad_sq, num_iters, p,
                    step);
    }
  }
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("tvl1_iterate_", &tvl1_iterate_,
        "TV-L1 iterations of M1, in place on u, q_x, q_y (CPU, float32)");
  m.def("tvl1_warps_", &tvl1_warps_,
        "TV-L1 warps (linearisation + iterations) of one M1 level, in "
        "place on u, q_x, q_y (CPU, float32)");
}
