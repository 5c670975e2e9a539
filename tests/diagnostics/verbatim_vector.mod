: An ARTIFICIAL_CELL that reads a hoc Vector of spike times in VERBATIM.
NEURON {
    ARTIFICIAL_CELL VecPlay
    POINTER ptr
}

ASSIGNED {
    ptr
}

PROCEDURE play() {
VERBATIM
    void** vv = (void**)(&_p_ptr);
    *vv = (void*)0;
    if (ifarg(1)) {
        *vv = vector_arg(1);
    }
ENDVERBATIM
}
