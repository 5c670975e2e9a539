: The file INCLUDEs itself (a copy-paste of its own name).
INCLUDE "include_itself.mod"

NEURON {
    SUFFIX selfinc
}
