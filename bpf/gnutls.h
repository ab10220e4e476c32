/* ec-capture gnutls: shared by bpf/gnutls.bpf.c and cmd/ec-capture/gnutls.c. */
#ifndef EC_BPF_GNUTLS_H
#define EC_BPF_GNUTLS_H

#define GNUTLS_SONAME "libgnutls.so.30"

#endif
