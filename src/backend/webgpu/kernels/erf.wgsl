// erf(x) for float32, absolute error <= 8e-8 on all of R (measured against double erf with float32 Horner):
//   |x| <= 1 : x * P1(2x^2 - 1)                 (degree 7 Chebyshev fit of erf(x)/x in x^2)
//   1 < |x| < 4 : 1 - exp(-x^2) * P2((x-2.5)/1.5)  (degree 12 fit of erfc(x) e^{x^2})
//   |x| >= 4 : +-1                               (erfc(4) = 1.5e-8)
// Not a kernel: prepended by the C++ side to the kernels that call it (gelu.wgsl, gated.wgsl, the matmuls).
fn gpuembed_erf(x: f32) -> f32 {
  let a = abs(x);
  if (a <= 1.0) {
    let s = 2.0 * (x * x) - 1.0;
    var r = -7.557492410e-08;
    r = r * s + 1.231640113e-06;
    r = r * s - 1.753682409e-05;
    r = r * s + 2.175119880e-04;
    r = r * s - 2.285485622e-03;
    r = r * s + 1.985249855e-02;
    r = r * s - 1.405360848e-01;
    r = r * s + 9.654687643e-01;
    return x * r;
  }
  if (a >= 4.0) {
    return sign(x);
  }
  let s = (a - 2.5) / 1.5;
  var r = 1.381908896e-05;
  r = r * s - 3.692872269e-05;
  r = r * s + 5.494724974e-05;
  r = r * s - 1.439485932e-04;
  r = r * s + 4.145081039e-04;
  r = r * s - 1.017117756e-03;
  r = r * s + 2.401701640e-03;
  r = r * s - 5.567332730e-03;
  r = r * s + 1.248970348e-02;
  r = r * s - 2.700572461e-02;
  r = r * s + 5.611047149e-02;
  r = r * s - 1.115210056e-01;
  r = r * s + 2.108063698e-01;
  return sign(x) * (1.0 - exp(-(a * a)) * r);
}

// GELU as BERT / PyTorch define it (approximate='none'): 0.5 x (1 + erf(x / sqrt(2))).
fn gpuembed_gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + gpuembed_erf(x * 0.7071067811865476));
}
