// Storage types of the opt-in fp16 path (needs the device feature 'shader-f16'); prepended instead of
// precision_f32.wgsl. Activations and weight matrices / embedding tables are stored as f16 (half the bytes to read),
// while every kernel converts to f32 on load: matmul sums, softmax, LayerNorm mean and variance and pooling all run
// in f32, and a value is rounded to f16 only when a kernel stores its result.
enable f16;
alias act = f16;
alias wt = f16;
