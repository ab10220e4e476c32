/* ec-capture bash: limits shared by bpf/bash.bpf.c and cmd/ec-capture/bash.c. */
#ifndef EC_BPF_BASH_H
#define EC_BPF_BASH_H

#define BASH_LINE_MAX 4096 /* bytes of a line kept; longer lines are truncated */
#define BASH_PENDING 1024  /* shells with a line waiting for its return code */

#endif
