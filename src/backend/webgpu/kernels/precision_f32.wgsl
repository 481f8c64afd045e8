// Storage types of the default fp32 path. Not a kernel: kernels.cpp prepends this file (or precision_f16.wgsl) to
// every kernel, so one kernel source serves both precisions. `act`: the activations passed between kernels;
// `wt`: weight matrices and embedding tables. Biases, LayerNorm parameters, pooled and normalized outputs are f32 in
// both. Kernels convert with f32(...) on load and act(...) on store; here both are identities, so the fp32 kernels
// compute exactly what they computed before the aliases existed.
alias act = f32;
alias wt = f32;
