// A C++ method leaking through operator new. Expected stack: malloc,
// operator new(unsigned long), Cache::put(int), main.
#include <cstdlib>
#include <unistd.h>

extern "C" {
#include "target.h"
}

struct Entry {
	int key;
	char payload[200];
};

class Cache {
public:
	__attribute__((noinline)) Entry *put(int key);
	Entry *slots[64] = {};
};

Entry *Cache::put(int key)
{
	Entry *e = new Entry();   // the leak: the old slot is overwritten
	e->key = key;
	slots[key % 64] = e;
	return e;
}

int main()
{
	static Cache cache;
	long sum = 0;

	target_wait_attached();
	for (int i = 0; i < 300; i++)
		sum += cache.put(i)->key;
	return sum > 0 ? 0 : 1;
}
