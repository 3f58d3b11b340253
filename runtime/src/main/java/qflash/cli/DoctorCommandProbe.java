package qflash.cli;

/** The kernel {@code qflash doctor} and the GPU smoke test compile and run: y = 2x + 1. */
public final class DoctorCommandProbe {
    private DoctorCommandProbe() {}

    public static final String SOURCE = """
            extern "C" __global__ void qflash_probe(const float* x, float* y, int n) {
                int i = blockIdx.x * blockDim.x + threadIdx.x;
                if (i < n) y[i] = 2.0f * x[i] + 1.0f;
            }
            """;
}
