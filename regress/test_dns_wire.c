#include "regress.h"
int main(void) { regress_check(1, "placeholder dns_wire"); return regress_exit(); }
