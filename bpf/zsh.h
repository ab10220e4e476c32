/* ec-capture zsh: limits shared by bpf/zsh.bpf.c and cmd/ec-capture/zsh.c. */
#ifndef EC_BPF_ZSH_H
#define EC_BPF_ZSH_H

#define ZSH_LINE_MAX 4096 /* bytes of a line kept; longer lines are truncated */
#define ZSH_CMD_READ 1	  /* zleentry's ZLE_CMD_READ: read a line with the editor */

#endif
