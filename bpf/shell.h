/* SPDX-License-Identifier: GPL-2.0-only */
/* ec-capture bash, zsh: limits shared by bpf/shell.bpf.h and the modules. */
#ifndef EC_BPF_SHELL_H
#define EC_BPF_SHELL_H

#define SHELL_LINE_MAX 4096 /* bytes of a line kept; longer lines are truncated */
#define SHELL_PENDING 1024  /* shells with a line waiting for its return code */
#define ZSH_CMD_READ 1	    /* zleentry's ZLE_CMD_READ: read a line with the editor */

#endif
