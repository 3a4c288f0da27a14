print("gradviz")
