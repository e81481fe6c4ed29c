/**
 * How soon a command must stop after Ctrl-C, a closed pipe or a second Ctrl-C. On an idle
 * machine each stops within a second; 3 s leaves room for a CI machine whose two cores are
 * busy with the rest of the suite (stops of 1.4-2.8 s were seen at load 11-16). The bound is
 * not what proves the stop: every test using it also checks that the work after the signal
 * was not done (the rows, points or iterations that would have followed are absent).
 */
export const STOP_BOUND_MS = 3000;
