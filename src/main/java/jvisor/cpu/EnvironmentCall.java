package jvisor.cpu;

/**
 * Answers ecall in Java instead of trapping: the built-in SBI (the paravirtual path, DESIGN §3)
 * handles S-mode ecalls this way, like a hypercall.
 */
@FunctionalInterface
public interface EnvironmentCall {
    /** Returns true if the call was handled (the hart then continues after the ecall). */
    boolean handle(Hart hart);
}
