/** The {@code jvisor} command line (picocli): {@code run} and, later, the VM management verbs. */
package jvisor.cli;
