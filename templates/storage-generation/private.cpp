private:
